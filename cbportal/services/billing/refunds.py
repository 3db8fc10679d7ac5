"""Refunds through the gateway: exactly once, and never said to have happened before the
gateway confirms them (RULES R3, R6).

A refund is a chain of attempts (`PaymentAttempt`, kind refund), each recorded with its
own idempotency key before its gateway call:

    pending --gateway confirms--> refunded      (the one success path, `_succeeded`)
    pending --gateway refuses---> failed        (retried later as a new attempt of the chain)
    pending --no answer / "pending" at the gateway--> pending, looked up later (`find`)

`check_at` is the attempt's timer, claimed compare-and-set: while a call is under way it
is the lease (counted from the claim instant, never from when the work was due, so a
late worker's live call is never taken over); afterwards it is when to reconcile or
retry, with backoff. A refund that is still not through 3 days after it began is shown
to platform staff (`stuck`), who may retry it at once or mark it refunded by hand
(with a reason, audited). Success updates the bill, the order's status (`refunded`, or
`partially_refunded` for part of a bill), the ticket, emits `RFND` and writes the
confirmation email and an audit row, all in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from cbportal.models import (
    AttemptKind,
    AttemptOutcome,
    Bill,
    BillStatus,
    CloseReason,
    Order,
    OrderStatus,
    Party,
    PaymentAttempt,
    PaymentMethod,
    RefundStatus,
    Ticket,
    TicketEvent,
    VendorAccount,
)
from cbportal.services.billing import preload
from cbportal.services.billing.gateways import Gateway, GatewayResult, Outcome
from cbportal.services.billing.gateways.window import Calls
from cbportal.services.core import audit
from cbportal.services.core.errors import Conflict, Invalid, NotFound
from cbportal.services.delivery import ins

LEASE = timedelta(seconds=60)
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
MAX_BACKOFF = timedelta(hours=6)
STUCK_AFTER = timedelta(days=3)
BATCH = 50
OPEN = (AttemptOutcome.PENDING, AttemptOutcome.FAILED)


def backoff(try_no: int) -> timedelta:
    return BACKOFF[try_no - 1] if try_no <= len(BACKOFF) else MAX_BACKOFF


def paid_charge_ref(session: Session, bill: Bill) -> str | None:
    return session.exec(select(PaymentAttempt.gateway_ref).where(
        PaymentAttempt.bill_id == bill.id, PaymentAttempt.kind == AttemptKind.CHARGE,
        PaymentAttempt.outcome == AttemptOutcome.PAID)).first()


def begin(session: Session, *, now: datetime, bill: Bill, key: str, ticket_id: int | None = None,
          amount_cents: int | None = None, claimed_at: datetime | None = None,
          known: dict[str, PaymentAttempt] | None = None, flush: bool = True) -> PaymentAttempt:
    """Record a pending refund of `amount_cents` (default: the rest) of `bill` under `key`
    (or return the one recorded). `now` is when the refund is due; the caller holds the
    lease from `claimed_at` (default `now`) and settles it after committing. A batch passes
    the attempts it loaded by key (`known`) and flushes once itself (`flush=False`)."""
    existing = known.get(key) if known is not None else \
        session.exec(select(PaymentAttempt).where(PaymentAttempt.idempotency_key == key)).first()
    if existing:
        return existing
    order = session.get(Order, bill.order_id)
    method = session.get(PaymentMethod, order.payment_method_id)
    amount = amount_cents if amount_cents is not None else bill.amount_cents - bill.refunded_cents
    attempt = PaymentAttempt(bill_id=bill.id, ticket_id=ticket_id, kind=AttemptKind.REFUND, idempotency_key=key,
                             amount_cents=amount, outcome=AttemptOutcome.PENDING, gateway=method.gateway, at=now,
                             check_at=(claimed_at or now) + LEASE, chain_started_at=now, try_no=1)
    session.add(attempt)
    if flush:
        session.flush()
    return attempt


# --- asking the gateway ------------------------------------------------------------------------

def _ask(gateway: Gateway, *, key: str, amount: int, charge_ref: str | None, maybe_sent: bool) -> GatewayResult | None:
    """The gateway's answer, or None when it is unknown (no answer): never a blind re-send
    of an attempt that may have reached the gateway."""
    try:
        if maybe_sent:
            found = gateway.find(idempotency_key=key)
            if found is not None:
                return found
        if charge_ref is None:
            return GatewayResult(outcome=Outcome.ERROR, message="no paid charge to refund")
        return gateway.refund(charge_ref=charge_ref, amount_cents=amount, idempotency_key=key)
    except Exception:  # timeout, connection lost: the outcome is unknown; look it up later
        return None


def settle(engine: Engine, *, attempt_ids: list[int], gateway: Gateway, now: datetime, fresh: bool = True,
           as_of_due: bool = True, calls: Calls | None = None) -> dict[int, str]:
    """Ask the gateway about attempts this worker holds (no transaction held during the
    calls, up to the process's window of calls at once: gateways/window.py) and record
    each answer as it arrives. `fresh`: recorded and never sent, so no look-up is needed
    first. `as_of_due`: a refund confirmed on its first try is recorded as of its due
    instant (work due at T is done as of T). With `calls`, the calls join that window
    batch and the caller drains it; otherwise this waits for every answer."""
    with Session(engine) as session:
        work = []
        attempts = list(session.exec(select(PaymentAttempt).where(PaymentAttempt.id.in_(attempt_ids),
                                                                  PaymentAttempt.outcome == AttemptOutcome.PENDING)))
        refs = charge_refs(session, [a.bill_id for a in attempts])
        for attempt in attempts:
            work.append((attempt.id, attempt.idempotency_key, attempt.amount_cents, attempt.check_at,
                         refs.get(attempt.bill_id)))
    outcomes: dict[int, str] = {}
    own = calls is None
    calls = calls or Calls(lambda got: record_answers(engine, got))
    for attempt_id, key, amount, lease, charge_ref in work:
        calls.submit(_Answer(attempt_id, lease, now, as_of_due and fresh, outcomes),
                     lambda key=key, amount=amount, ref=charge_ref: _ask(
                         gateway, key=key, amount=amount, charge_ref=ref, maybe_sent=not fresh))
    if own:
        calls.drain()
    return outcomes


class _Answer:
    """What `record_answers` needs to record one refund attempt's answer."""

    def __init__(self, attempt_id: int, lease: datetime | None, now: datetime, as_of_due: bool, outcomes: dict):
        self.attempt_id, self.lease, self.now = attempt_id, lease, now
        self.as_of_due, self.outcomes = as_of_due, outcomes


def record_answers(engine: Engine, got: list[tuple[_Answer, GatewayResult | None]]) -> None:
    """Record the answers that arrived together, in one transaction, with their attempts,
    bills, orders (and every bill of them), parties and tickets loaded in a few queries."""
    with Session(engine) as session, session.no_autoflush:
        attempts = preload.rows(session, PaymentAttempt, (item.attempt_id for item, _ in got))
        bills = preload.rows(session, Bill, (a.bill_id for a in attempts.values()))
        orders = preload.rows(session, Order, (b.order_id for b in bills.values()))
        preload.order_parties(session, orders.values())
        preload.tickets(session, (a.ticket_id for a in attempts.values()))
        bills_of_orders = preload.remember(session, "bills", preload.bills_of_orders(session, orders))
        # what the confirmation emails show (the order view, the thread), for the whole group
        preload.remember(session, "attempts", preload.attempts_of_bills(
            session, (b.id for found in bills_of_orders.values() for b in found)))
        subs = preload.subscriptions_of(session, orders)
        preload.remember(session, "subscription", {order_id: subs.get(order_id) for order_id in orders})
        preload.remember(session, "comments", preload.comments_of_tickets(
            session, (a.ticket_id for a in attempts.values() if a.ticket_id)))
        for item, result in got:
            item.outcomes[item.attempt_id] = _record_in(session, attempt_id=item.attempt_id, lease=item.lease,
                                                        result=result, now=item.now, as_of_due=item.as_of_due)
        session.commit()


def charge_refs(session: Session, bill_ids: list[int]) -> dict[int, str]:
    """The paid charge's gateway reference of each bill, in one query."""
    if not bill_ids:
        return {}
    return dict(session.exec(select(PaymentAttempt.bill_id, PaymentAttempt.gateway_ref).where(
        PaymentAttempt.bill_id.in_(set(bill_ids)), PaymentAttempt.kind == AttemptKind.CHARGE,
        PaymentAttempt.outcome == AttemptOutcome.PAID)).all())


def record(engine: Engine, *, attempt_id: int, lease: datetime | None, result: GatewayResult | None,
           now: datetime, as_of_due: bool = False) -> str:
    """Record one gateway answer (compare-and-set on the attempt we hold) in its own transaction."""
    with Session(engine) as session, session.no_autoflush:
        state = _record_in(session, attempt_id=attempt_id, lease=lease, result=result, now=now, as_of_due=as_of_due)
        session.commit()
        return state


def _record_in(session: Session, *, attempt_id: int, lease: datetime | None, result: GatewayResult | None,
               now: datetime, as_of_due: bool = False) -> str:
    """Record one gateway answer, compare-and-set on the attempt we hold, in `session`."""
    attempt = session.get(PaymentAttempt, attempt_id)
    held = [PaymentAttempt.id == attempt_id, PaymentAttempt.outcome == AttemptOutcome.PENDING,
            PaymentAttempt.check_at.is_(None) if lease is None else PaymentAttempt.check_at == lease]
    ref = (result.ref if result else None) or attempt.gateway_ref
    if result is not None and result.outcome == Outcome.REFUNDED:
        done = _set(session, attempt, held, outcome=AttemptOutcome.REFUNDED, gateway_ref=ref, finished_at=now,
                    check_at=None, message=None)
        if done:
            _succeeded(session, attempt, at=attempt.at if as_of_due else now, actor="system")
        state = "refunded" if done else "lost_lease"
    elif result is not None and result.outcome not in (Outcome.PENDING,):
        done = _set(session, attempt, held, outcome=AttemptOutcome.FAILED, gateway_ref=ref, finished_at=now,
                    message=(result.message or "")[:300], check_at=now + backoff(attempt.try_no))
        state = "failed" if done else "lost_lease"
    else:  # pending at the gateway, or no answer: look it up later, less often as time goes by
        waited = now - (attempt.chain_started_at or attempt.at)
        later = now + min(MAX_BACKOFF, max(BACKOFF[0], waited / 2))
        done = _set(session, attempt, held, gateway_ref=ref, check_at=later,
                    message="waiting for the payment processor" if result else "no answer from the payment processor")
        state = "pending" if done else "lost_lease"
    return state


def _set(session: Session, attempt: PaymentAttempt, held: list, **values) -> bool:
    """Compare-and-set the attempt we hold; on success the loaded row says what was written
    (the group's emails read it: preload.remembered)."""
    done = session.execute(update(PaymentAttempt).where(*held).values(**values)
                           .execution_options(synchronize_session=False)).rowcount
    if done:
        for name, value in values.items():
            set_committed_value(attempt, name, value)
    return bool(done)


# --- the one success path ----------------------------------------------------------------------



def order_status(session: Session, order_id: int, bills: list[Bill] | None = None) -> OrderStatus:
    """`refunded` when a bill was refunded in full, `partially_refunded` when only part of one
    (`bills`: the order's bills, when the caller holds them all)."""
    if bills is None:
        bills = session.exec(select(Bill).where(Bill.order_id == order_id)).all()
    if any(b.status == BillStatus.REFUNDED for b in bills):
        return OrderStatus.REFUNDED
    if any(b.refunded_cents > 0 for b in bills):
        return OrderStatus.PARTIALLY_REFUNDED
    return OrderStatus.ACTIVE


def _succeeded(session: Session, attempt: PaymentAttempt, *, at: datetime, actor) -> None:
    """The money is back with the customer: bill, order, ticket, RFND, email, audit (R3, R9)."""
    bill = session.get(Bill, attempt.bill_id)
    bill.refunded_cents = min(bill.amount_cents, bill.refunded_cents + attempt.amount_cents)
    if bill.refunded_cents >= bill.amount_cents:
        bill.status = BillStatus.REFUNDED
    bill.refunded_at = at
    session.add(bill)
    loaded = preload.remembered(session, "bills", bill.order_id)
    if loaded is preload.MISSING:
        loaded = None
        session.flush()
    order = session.get(Order, bill.order_id)
    order.status = order_status(session, order.id, loaded)
    session.add(order)
    account = session.get(VendorAccount, order.account_id)
    ticket = session.get(Ticket, attempt.ticket_id) if attempt.ticket_id else None
    ins.emit(session, now=at, account=account, event="RFND",
             payload={"receipt": order.receipt, "seq": bill.seq, "amount_cents": attempt.amount_cents,
                      "reason": "ticket" if ticket else "prorated"})
    audit.record(session, now=at, actor=actor, action="refund.succeeded", entity="payment_attempt",
                 entity_id=attempt.id, account_id=account.id, receipt=order.receipt, amount_cents=attempt.amount_cents)
    if ticket is not None:
        _close_ticket(session, ticket, at=at)


def _close_ticket(session: Session, ticket: Ticket, *, at: datetime) -> None:
    """The gateway confirmed the ticket's refund: the R3 table's `refund_confirmed` step."""
    from cbportal.services.tickets import mail as ticket_mail
    from cbportal.services.tickets import states

    if states.state_of(ticket, at) is not states.State.REFUND_PENDING:
        return
    if states.transition(session, ticket, states.Event.REFUND_CONFIRMED, states.Who.SYSTEM, now=at, quiet=True,
                         refresh=False, values={"close_reason": CloseReason.PROCESSED, "closed_at": at,
                                                "refund_status": RefundStatus.SUCCEEDED}) is None:
        return
    session.add(TicketEvent(ticket_id=ticket.id, kind="refunded", actor=Party.SYSTEM, at=at, detail={}))
    audit.record(session, now=at, actor="system", action="ticket.processed.refund", entity="ticket",
                 entity_id=ticket.id, account_id=ticket.account_id)
    ticket_mail.send(session, now=at, kind="refund_confirmation", ticket=ticket)


# --- the worker: reconcile and retry -----------------------------------------------------------

def next_due(session: Session) -> datetime | None:
    return session.exec(select(func.min(PaymentAttempt.check_at)).where(
        PaymentAttempt.kind == AttemptKind.REFUND, PaymentAttempt.outcome.in_(OPEN))).one()


def _claim(session: Session, attempt: PaymentAttempt, **values) -> bool:
    """Compare-and-set on the attempt as we read it (outcome and timer)."""
    return session.execute(update(PaymentAttempt).where(
        PaymentAttempt.id == attempt.id, PaymentAttempt.outcome == attempt.outcome,
        PaymentAttempt.check_at == attempt.check_at).values(**values)
        .execution_options(synchronize_session=False)).rowcount == 1


def run_due(engine: Engine, now: datetime, gateway: Gateway, clock=None) -> int:
    """Look up refunds whose outcome is unknown or pending at the gateway, and retry failed
    ones as new attempts, everything due by `now`; returns how many attempts were handled."""
    calls = Calls(lambda got: record_answers(engine, got))
    handled = _run_due(engine, now, gateway, clock, calls)
    calls.drain()  # not on an exception: calls left in flight stay pending, looked up after their lease
    return handled


def _run_due(engine: Engine, now: datetime, gateway: Gateway, clock, calls: Calls) -> int:
    handled = 0
    while True:
        claimed_at = max(now, clock.now()) if clock else now
        lookups, retries = [], []
        with Session(engine) as session:
            query = select(PaymentAttempt).where(
                PaymentAttempt.kind == AttemptKind.REFUND, PaymentAttempt.outcome.in_(OPEN),
                PaymentAttempt.check_at <= now).order_by(PaymentAttempt.check_at, PaymentAttempt.id).limit(BATCH)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            due = list(session.exec(query))
            if not due:
                return handled
            for attempt in due:
                if attempt.outcome == AttemptOutcome.PENDING:
                    if _claim(session, attempt, check_at=claimed_at + LEASE):
                        lookups.append(attempt.id)
                elif _claim(session, attempt, check_at=None):
                    retries.append(_retry(session, attempt, now=now, claimed_at=claimed_at).id)
            session.commit()
        if not lookups and not retries:
            return handled  # another worker holds them
        handled += len(lookups) + len(retries)
        settle(engine, attempt_ids=lookups, gateway=gateway, now=now, fresh=False, calls=calls)
        settle(engine, attempt_ids=retries, gateway=gateway, now=now, fresh=True, as_of_due=False, calls=calls)


def _retry(session: Session, failed: PaymentAttempt, *, now: datetime, claimed_at: datetime) -> PaymentAttempt:
    """A new attempt of the chain, with its own key (a gateway replays a key's first answer)."""
    base = failed.idempotency_key.split("#", 1)[0]
    attempt = PaymentAttempt(bill_id=failed.bill_id, ticket_id=failed.ticket_id, kind=AttemptKind.REFUND,
                             idempotency_key=f"{base}#{failed.try_no + 1}", amount_cents=failed.amount_cents,
                             outcome=AttemptOutcome.PENDING, gateway=failed.gateway, at=now,
                             check_at=claimed_at + LEASE, chain_started_at=failed.chain_started_at or failed.at,
                             try_no=failed.try_no + 1)
    session.add(attempt)
    session.flush()
    return attempt


# --- platform staff: stuck refunds ---------------------------------------------------------------

def stuck(session: Session, *, now: datetime) -> list[dict]:
    """Refunds not through 3 days after they began (the open attempt of each chain)."""
    rows = session.exec(select(PaymentAttempt, Bill, Order).join(Bill, Bill.id == PaymentAttempt.bill_id)
                        .join(Order, Order.id == Bill.order_id).where(
        PaymentAttempt.kind == AttemptKind.REFUND, PaymentAttempt.outcome.in_(OPEN),
        PaymentAttempt.check_at.is_not(None), PaymentAttempt.chain_started_at <= now - STUCK_AFTER)
        .order_by(PaymentAttempt.chain_started_at)).all()
    return [{"attempt_id": a.id, "receipt": o.receipt, "bill_seq": b.seq, "amount_cents": a.amount_cents,
             "currency": o.currency, "started_at": a.chain_started_at, "tries": a.try_no,
             "state": "failed" if a.outcome == AttemptOutcome.FAILED else "waiting",
             "message": a.message or "", "ticket_id": a.ticket_id, "next_try_at": a.check_at} for a, b, o in rows]


def _open_attempt(session: Session, attempt_id: int) -> PaymentAttempt:
    attempt = session.get(PaymentAttempt, attempt_id)
    if attempt is None:
        raise NotFound("there is no such refund", "refund_not_found")
    if attempt.kind != AttemptKind.REFUND:
        raise Invalid("that payment is a charge, not a refund", "not_a_refund")
    if attempt.outcome not in OPEN or attempt.check_at is None:
        raise Conflict("this refund is no longer waiting", "refund_not_open")
    return attempt


def retry_now(session: Session, *, now: datetime, by, attempt_id: int) -> None:
    """Look at (or retry) a stuck refund at the next worker pass (staff: services/staff/desk.py)."""
    attempt = _open_attempt(session, attempt_id)
    if not _claim(session, attempt, check_at=min(now, attempt.check_at)):
        raise Conflict("this refund changed meanwhile; reload the list", "refund_changed")
    audit.record(session, now=now, actor=by, action="refund.retry_now", entity="payment_attempt",
                 entity_id=attempt.id)


def mark_refunded(session: Session, *, now: datetime, by, attempt_id: int, reason: str) -> None:
    """The money was returned outside the gateway; record it with a reason, audited (staff:
    services/staff/desk.py)."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise Invalid("say how the money was returned (at least a few words)", "reason_required")
    attempt = _open_attempt(session, attempt_id)
    if not _claim(session, attempt, outcome=AttemptOutcome.REFUNDED, check_at=None, finished_at=now,
                  manual_reason=reason[:2000], manual_by_user_id=getattr(by, "user_id", None)):
        raise Conflict("this refund changed meanwhile; reload the list", "refund_changed")
    session.refresh(attempt)
    audit.record(session, now=now, actor=by, action="refund.marked_refunded", entity="payment_attempt",
                 entity_id=attempt.id, reason=reason[:500])
    _succeeded(session, attempt, at=now, actor=by)
