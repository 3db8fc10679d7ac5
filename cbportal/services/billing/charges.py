"""Charging bills exactly once, and the recurring schedule (RULES R1, R5, R6).

A charge is three steps: record the attempt and its idempotency key (`begin_charge`,
in a transaction), ask the gateway (no transaction held), record the answer and what
follows from it (`record_charge`, compare-and-set on the pending attempt). A worker
that dies between them leaves a pending attempt; the next one looks the payment up
at the gateway (`find`) instead of charging again. Subscriptions carry their timers
as data: `next_charge_at` (the next charge, retry or card notice, at local 00:00 of
its date in the vendor's zone) and `reminder_due_at`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from cbportal.models import (
    AttemptKind,
    AttemptOutcome,
    Bill,
    BillKind,
    BillStatus,
    DunningKind,
    Order,
    PaymentAttempt,
    PaymentMethod,
    Product,
    Subscription,
    SubscriptionStatus,
    VendorAccount,
)
from cbportal.services.billing import dunning, preload
from cbportal.services.billing import mail as billing_mail
from cbportal.services.billing.gateways import Gateway, GatewayResult, Outcome
from cbportal.services.billing.gateways.window import Calls
from cbportal.services.core import audit, calendar, money
from cbportal.services.delivery import ins

LEASE = timedelta(minutes=5)
BATCH = 100
DEFAULT_MANDATORY_REMINDER_DAYS = 7


# --- schedule ----------------------------------------------------------------------------

def reminder_days(account: VendorAccount, sub: Subscription) -> int:
    """The vendor's setting; reminders are mandatory at quarterly and longer (R5)."""
    days = account.reminder_days
    if days <= 0 and not calendar.reminder_optional(str(sub.frequency_unit), sub.frequency_count):
        days = DEFAULT_MANDATORY_REMINDER_DAYS
    return days


def schedule_next(sub: Subscription, account: VendorAccount, next_date: date, *, now: datetime) -> None:
    """Point the subscription's timers at its next bill date."""
    sub.next_bill_date = next_date
    sub.next_charge_at = calendar.local_midnight(next_date, account.time_zone)
    days = reminder_days(account, sub)
    reminder = calendar.local_midnight(next_date - timedelta(days=days), account.time_zone) if days > 0 else None
    sub.reminder_due_at = reminder if reminder is not None and reminder > now else None


def start_subscription(session: Session, *, now: datetime, order: Order, product: Product,
                       account: VendorAccount, purchase_day: date) -> Subscription:
    """Copy the terms onto the order's subscription (R5) and schedule the first rebill."""
    sub = Subscription(order_id=order.id, account_id=account.id, rebill_price_cents=product.rebill_price_cents,
                       commission_rebill_bp=product.commission_rebill_bp, frequency_unit=product.frequency_unit,
                       frequency_count=product.frequency_count, rebills_total=product.rebills,
                       payments_remaining=product.rebills, trial_days=product.trial_days)
    first = (purchase_day + timedelta(days=product.trial_days) if product.trial_days
             else calendar.next_bill_date(purchase_day, str(product.frequency_unit), product.frequency_count))
    schedule_next(sub, account, first, now=now)
    session.add(sub)
    return sub


# --- charges -----------------------------------------------------------------------------

def begin_charge(session: Session, *, now: datetime, bill: Bill, order: Order) -> PaymentAttempt:
    """Record the next charge attempt of `bill` with its idempotency key, before the call."""
    pending = session.exec(select(PaymentAttempt).where(PaymentAttempt.bill_id == bill.id,
                                                        PaymentAttempt.kind == AttemptKind.CHARGE,
                                                        PaymentAttempt.outcome == AttemptOutcome.PENDING)).first()
    if pending:
        return pending
    n = session.exec(select(func.count()).select_from(PaymentAttempt).where(
        PaymentAttempt.bill_id == bill.id, PaymentAttempt.kind == AttemptKind.CHARGE)).one() + 1
    attempt = _new_charge_attempt(session, now=now, bill=bill, order=order, number=n)
    session.flush()
    return attempt


def _new_charge_attempt(session: Session, *, now: datetime, bill: Bill, order: Order, number: int) -> PaymentAttempt:
    """The `number`th charge attempt of `bill`, added to the session (the caller flushes)."""
    method = session.get(PaymentMethod, order.payment_method_id)
    attempt = PaymentAttempt(bill_id=bill.id, kind=AttemptKind.CHARGE,
                             idempotency_key=f"charge:{order.receipt}:{bill.seq}:{number}",
                             amount_cents=bill.amount_cents, gateway=method.gateway, at=now)
    session.add(attempt)
    return attempt


def charge_args(session: Session, attempt: PaymentAttempt, bill: Bill | None = None, order: Order | None = None,
                method: PaymentMethod | None = None) -> dict:
    """What the gateway is asked for a pending charge attempt (read before the call)."""
    bill = bill or session.get(Bill, attempt.bill_id)
    order = order or session.get(Order, bill.order_id)
    method = method or session.get(PaymentMethod, order.payment_method_id)
    return dict(customer_ref=method.gateway_customer_ref, method_ref=method.gateway_method_ref,
                amount_cents=attempt.amount_cents, currency=order.currency, idempotency_key=attempt.idempotency_key,
                metadata={"receipt": order.receipt, "bill": bill.seq})


def ask_charge(gateway: Gateway, args: dict, *, maybe_sent: bool = False) -> GatewayResult | None:
    """Ask the gateway (no transaction held); look the payment up first if it may have been
    sent. None when the outcome is unknown (never guessed)."""
    try:
        if maybe_sent:
            found = gateway.find(idempotency_key=args["idempotency_key"])
            if found is not None:
                return found
        return gateway.charge(**args)
    except Exception:  # no answer (timeout, connection lost): the charge may have happened; look it up later
        return None


def call_gateway(engine: Engine, attempt_id: int, gateway: Gateway,
                 *, maybe_sent: bool = False) -> GatewayResult | None:
    """Ask the gateway for a pending charge; look it up first if it may have been sent.
    None when the outcome is unknown (never guessed)."""
    with Session(engine) as session:
        args = charge_args(session, session.get(PaymentAttempt, attempt_id))
    return ask_charge(gateway, args, maybe_sent=maybe_sent)


def charge_at_once(engine: Engine, attempt_id: int, gateway: Gateway) -> GatewayResult:
    """A charge the customer waits for (checkout, a new card): when the call gets no
    answer, look it up once; the gateway never having seen it counts as a failed charge.
    Raises `Unavailable` (the attempt stays pending) when even the look-up gets no answer."""
    result = call_gateway(engine, attempt_id, gateway)
    if result is not None:
        return result
    result = call_gateway(engine, attempt_id, _LookupOnly(gateway), maybe_sent=True)
    if result is None:
        from cbportal.services.core.errors import Unavailable

        raise Unavailable("we could not reach the payment processor to confirm your payment; please check your "
                          "email before trying again", "payment_unconfirmed")
    return result


class _LookupOnly:
    """A gateway view that can only look payments up: a charge through it reports 'never sent'."""

    def __init__(self, gateway: Gateway):
        self.gateway = gateway

    def find(self, *, idempotency_key: str):
        return self.gateway.find(idempotency_key=idempotency_key)

    def charge(self, **_):
        return GatewayResult(outcome=Outcome.ERROR, message="the payment never reached the payment processor")


def record_charge(session: Session, *, attempt_id: int, result: GatewayResult, at: datetime,
                  sub: Subscription | None = None) -> str | None:
    """Record the gateway's answer on the pending attempt and its bill; None if another
    worker recorded it first. `sub`: the order's subscription, when the caller loaded it."""
    outcome = {Outcome.PAID: AttemptOutcome.PAID, Outcome.INVALID_CARD: AttemptOutcome.INVALID_CARD}.get(
        result.outcome, AttemptOutcome.INSUFFICIENT_FUNDS)
    done = session.execute(update(PaymentAttempt).where(
        PaymentAttempt.id == attempt_id, PaymentAttempt.outcome == AttemptOutcome.PENDING).values(
        outcome=outcome, gateway_ref=result.ref, finished_at=at).execution_options(synchronize_session=False)).rowcount
    if not done:
        return None
    attempt = session.get(PaymentAttempt, attempt_id)
    bill = session.get(Bill, attempt.bill_id)
    if outcome == AttemptOutcome.PAID:
        order = session.get(Order, bill.order_id)
        product = session.get(Product, order.product_id)
        rate = (product.commission_initial_bp if bill.kind == BillKind.INITIAL
                else (sub or _sub(session, order)).commission_rebill_bp)
        bill.net_cents, bill.commission_cents, bill.vendor_cents = money.split_bill(
            bill.amount_cents, rebill=bill.kind == BillKind.REBILL, commission_bp=rate, affiliate=bool(order.affiliate))
        bill.status, bill.paid_at = BillStatus.PAID, at
    else:
        bill.status = BillStatus.FAILED
    session.add(bill)
    return outcome.value


def _sub(session: Session, order: Order) -> Subscription | None:
    return session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()


# --- what follows a rebill attempt (R5, R6) ------------------------------------------------

def after_rebill(session: Session, *, sub: Subscription, bill: Bill, outcome: str, at: datetime) -> None:
    order = session.get(Order, sub.order_id)
    account = session.get(VendorAccount, sub.account_id)
    local_day = calendar.local(at, account.time_zone).date()
    if outcome == AttemptOutcome.PAID:
        anchor = local_day if sub.status == SubscriptionStatus.DUNNING else bill.scheduled_date
        sub.status, sub.dunning_kind, sub.dunning_failures, sub.dunning_notices = SubscriptionStatus.ACTIVE, None, 0, 0
        sub.dunning_next_date = None
        if sub.payments_remaining is not None:
            sub.payments_remaining -= 1
        if sub.payments_remaining == 0:
            sub.status, sub.completed_at = SubscriptionStatus.COMPLETED, at
            sub.next_bill_date = sub.next_charge_at = sub.reminder_due_at = None
        else:
            schedule_next(sub, account, calendar.next_bill_date(anchor, str(sub.frequency_unit), sub.frequency_count),
                          now=at)
        billing_mail.send(session, now=at, kind="rebill_notice", order=order, amount_cents=bill.amount_cents,
                          extra=f"Next payment: {sub.next_bill_date}." if sub.next_bill_date
                          else "That was the last payment.")
        ins.emit(session, now=at, account=account, event="BILL",
                 payload={"receipt": order.receipt, "seq": bill.seq, "amount_cents": bill.amount_cents})
    elif outcome == AttemptOutcome.INVALID_CARD:
        sub.status, sub.dunning_kind, sub.dunning_notices = SubscriptionStatus.DUNNING, DunningKind.CARD_VALIDATION, 1
        sub.dunning_next_date = dunning.next_card_step(1, local_day)[1]
        sub.next_charge_at = calendar.local_midnight(sub.dunning_next_date, account.time_zone)
        sub.reminder_due_at = None
        billing_mail.send(session, now=at, kind="card_invalid", order=order, extra="Notice 1 of 4.")
    else:
        sub.status, sub.dunning_kind = SubscriptionStatus.DUNNING, DunningKind.AUTHORIZATION
        sub.dunning_failures += 1
        sub.reminder_due_at = None
        retry = dunning.next_auth_retry(sub.dunning_failures, local_day)
        if retry is None:
            billing_mail.send(session, now=at, kind="payment_failed", order=order,
                              extra="This was the last try, so your subscription is canceled.")
            cancel(session, sub=sub, at=at, reason="payment_failed")
        else:
            sub.dunning_next_date = retry
            sub.next_charge_at = calendar.local_midnight(retry, account.time_zone)
            if dunning.auth_failure_emails_customer(sub.dunning_failures):
                billing_mail.send(session, now=at, kind="payment_failed", order=order,
                                  extra="Please update your credit card information. We will attempt to rebill you in "
                                        "7 days. If this billing fails, your order will be canceled.")
    session.add(sub)


CANCEL_REASONS = {
    "refund": "The order was refunded.",
    "cancel_ticket": "The customer asked to cancel it.",
    "payment_failed": "The payment failed four times in a row.",
    "card_invalid": "No valid card was given after four notices.",
    "staff": "Platform staff canceled it.",
}


def cancel(session: Session, *, sub: Subscription, at: datetime, reason: str, by="system") -> bool:
    """The one cancelation path, whatever the cause (R3): compare-and-set on a live
    subscription; every timer stopped (no reminder, rebill or dunning email after it);
    `subscription_canceled` to both parties, `CANCEL-REBILL` to the vendor's INS and an
    audit row, in the caller's transaction. False if it was not live any more."""
    values = dict(status=SubscriptionStatus.CANCELED, canceled_at=at, cancel_reason=reason, next_bill_date=None,
                  next_charge_at=None, reminder_due_at=None, dunning_next_date=None)
    done = session.execute(update(Subscription).where(
        Subscription.id == sub.id, Subscription.status.in_([SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING]))
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1
    if not done:
        return False
    for name, value in values.items():
        setattr(sub, name, value)
    order = session.get(Order, sub.order_id)
    account = session.get(VendorAccount, sub.account_id)
    billing_mail.send(session, now=at, kind="subscription_canceled", order=order,
                      extra=CANCEL_REASONS.get(reason, "It was canceled at your or the vendor's request."))
    ins.emit(session, now=at, account=account, event="CANCEL-REBILL",
             payload={"receipt": order.receipt, "reason": reason})
    audit.record(session, now=at, actor=by, action="subscription.cancel", entity="subscription",
                 entity_id=sub.id, account_id=account.id, reason=reason)
    return True


# --- the worker's rebill run ----------------------------------------------------------------

def next_due(session: Session) -> datetime | None:
    charge = session.exec(select(func.min(Subscription.next_charge_at))).one()
    reminder = session.exec(select(func.min(Subscription.reminder_due_at))).one()
    dues = [d for d in (charge, reminder) if d is not None]
    return min(dues) if dues else None


def _claim(session: Session, column, now: datetime) -> list[int]:
    query = select(Subscription.id).where(column <= now).order_by(column, Subscription.id).limit(BATCH)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def send_reminder(session: Session, sub: Subscription) -> bool:
    """The pre-rebill reminder (R5) for the bill dated `next_bill_date`, once per bill
    (`reminder_sent_for` is its key), as of when it was due; compare-and-set."""
    at, day = sub.reminder_due_at, sub.next_bill_date
    if at is None or day is None or sub.reminder_sent_for == day:
        return False
    if session.execute(update(Subscription).where(Subscription.id == sub.id, Subscription.reminder_due_at == at)
                       .values(reminder_due_at=None, reminder_sent_for=day)
                       .execution_options(synchronize_session=False)).rowcount != 1:
        return False
    sub.reminder_due_at, sub.reminder_sent_for = None, day
    billing_mail.send(session, now=at, kind="rebill_reminder", order=session.get(Order, sub.order_id),
                      amount_cents=sub.rebill_price_cents, date=day)
    return True


def run_reminders(engine: Engine, now: datetime) -> int:
    """Every reminder due by `now`, batch after batch: after an outage all of them go out."""
    done = 0
    while True:
        with Session(engine) as session:
            ids = _claim(session, Subscription.reminder_due_at, now)
            sent = sum(send_reminder(session, session.get(Subscription, sub_id)) for sub_id in ids)
            session.commit()
        done += sent
        if not ids or not sent:
            return done


def run_rebills(engine: Engine, now: datetime, gateway: Gateway | None = None, clock=None) -> int:
    """Charge every subscription due by `now` (rebills and authorization retries), send
    card-validation notices and cancel after the last one. Returns items handled. The
    lease on a claimed subscription counts from the claim instant (`clock`, per batch)."""
    from cbportal.services.billing.gateways import get_gateway

    gateway = gateway or get_gateway()
    calls = Calls(lambda got: record_rebills(engine, got))
    handled = _run_rebills(engine, now, gateway, clock, calls)
    calls.drain()  # not on an exception: calls left in flight stay pending, looked up after the lease
    return handled


def _run_rebills(engine: Engine, now: datetime, gateway: Gateway, clock, calls) -> int:
    handled = 0
    while True:
        lease_until = (max(now, clock.now()) if clock else now) + LEASE
        with Session(engine) as session:
            claimed = _claim_rebills(session, now, lease_until)
            if claimed is None:
                return handled
            charges = _begin_rebills(session, claimed, lease_until)
            session.commit()
            if not claimed:
                return handled  # another worker holds every due row: let it finish
            handled += len(claimed)
        for sub_id, attempt_id, at, maybe_sent, args in charges:  # recorded and committed: now the calls
            calls.submit((sub_id, attempt_id, at),
                         lambda a=args, m=maybe_sent: ask_charge(gateway, a, maybe_sent=m))


def _claim_rebills(session: Session, now: datetime,
                   lease_until: datetime) -> list[tuple[Subscription, datetime]] | None:
    """Claim a batch of due subscriptions: their rows in one query (locked, skipping locked
    rows, on PostgreSQL; SQLite's write transaction holds them), then one compare-and-set
    update moving each one's `next_charge_at` to the lease. Returns (sub, due instant) of
    the rows this worker now holds; None when nothing is due. A reminder due too is sent
    first: a rebill never erases an unsent reminder (R5)."""
    query = select(Subscription).where(Subscription.next_charge_at <= now).order_by(
        Subscription.next_charge_at, Subscription.id).limit(BATCH)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    subs = list(session.exec(query))
    if not subs:
        return None
    due_at = {sub.id: sub.next_charge_at for sub in subs}
    for sub in subs:
        if sub.reminder_due_at is not None and sub.reminder_due_at <= now:
            send_reminder(session, sub)
    session.flush()
    held = set(session.execute(update(Subscription).where(
        Subscription.id.in_(due_at), Subscription.next_charge_at <= now).values(next_charge_at=lease_until)
        .returning(Subscription.id).execution_options(synchronize_session=False)).scalars())
    claimed = []
    for sub in subs:
        if sub.id in held:
            set_committed_value(sub, "next_charge_at", lease_until)
            claimed.append((sub, due_at[sub.id]))
    return claimed


def _begin_rebills(session: Session, claimed: list[tuple[Subscription, datetime]],
                   lease_until: datetime) -> list[tuple[int, int, datetime, bool, dict]]:
    """Record a pending charge attempt for each claimed subscription that is charged (card
    notices and cancelations done here), with the batch's orders, bills and attempts loaded
    in a few queries and the new rows inserted together. Returns what the calls need."""
    orders = preload.rows(session, Order, (sub.order_id for sub, _ in claimed))
    preload.order_parties(session, orders.values())
    bills = preload.bills_of_orders(session, orders)
    to_charge: list[tuple[Subscription, datetime, Order, Bill]] = []
    for sub, at in claimed:
        if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING):
            sub.next_charge_at = None
            continue
        if sub.dunning_kind == DunningKind.CARD_VALIDATION:
            _card_step(session, sub, at)
            continue
        order = orders[sub.order_id]
        to_charge.append((sub, at, order, _bill_to_charge(session, sub, order, bills[order.id])))
    session.flush()  # the new bills, in one batch
    attempts: dict[int, list[PaymentAttempt]] = {}
    bill_ids = [bill.id for *_, bill in to_charge]
    if bill_ids:
        for attempt in session.exec(select(PaymentAttempt).where(PaymentAttempt.bill_id.in_(bill_ids))):
            attempts.setdefault(attempt.bill_id, []).append(attempt)
    begun = []
    for sub, at, order, bill in to_charge:
        of_bill = attempts.get(bill.id, [])
        maybe_sent = any(a.outcome == AttemptOutcome.PENDING for a in of_bill)
        charges_so_far = [a for a in of_bill if a.kind == AttemptKind.CHARGE]
        attempt = next((a for a in charges_so_far if a.outcome == AttemptOutcome.PENDING), None) or \
            _new_charge_attempt(session, now=at, bill=bill, order=order, number=len(charges_so_far) + 1)
        begun.append((sub, at, order, bill, attempt, maybe_sent))
    session.flush()  # the new attempts, in one batch
    return [(sub.id, attempt.id, at, maybe_sent, charge_args(session, attempt, bill, order))
            for sub, at, order, bill, attempt, maybe_sent in begun]


def record_rebills(engine: Engine, got: list) -> None:
    """Record the rebill answers that arrived together (R5, R6), in one transaction, with
    their attempts, bills, subscriptions, orders and parties loaded in a few queries."""
    with Session(engine) as session:
        answered = [(key, result) for key, result in got if result is not None and result.outcome != Outcome.PENDING]
        attempts = preload.rows(session, PaymentAttempt, (attempt_id for (_, attempt_id, _), _ in answered))
        bills = preload.rows(session, Bill, (a.bill_id for a in attempts.values()))
        subs = preload.rows(session, Subscription, (sub_id for (sub_id, _, _), _ in answered))
        orders = preload.rows(session, Order, (b.order_id for b in bills.values()))
        preload.order_parties(session, orders.values())
        for (sub_id, attempt_id, at), result in answered:  # no answer, or still processing (SEPA): looked up later
            outcome = record_charge(session, attempt_id=attempt_id, result=result, at=at, sub=subs.get(sub_id))
            if outcome is None:
                continue
            after_rebill(session, sub=subs[sub_id], bill=bills[attempts[attempt_id].bill_id], outcome=outcome, at=at)
        session.commit()


def _bill_to_charge(session: Session, sub: Subscription, order: Order, bills: list[Bill] | None = None) -> Bill:
    """The failed bill being retried, the pending one a crashed worker left, or a new rebill
    (`bills`: the order's bills in `seq` order, when the caller loaded them)."""
    if bills is None:
        bills = list(session.exec(select(Bill).where(Bill.order_id == order.id).order_by(Bill.seq)))
    open_bills = [b for b in bills if b.status in (BillStatus.PENDING, BillStatus.FAILED)]
    if open_bills:
        return open_bills[-1]
    seq = max((b.seq for b in bills), default=0) + 1
    bill = Bill(order_id=order.id, seq=seq, kind=BillKind.REBILL, scheduled_date=sub.next_bill_date,
                amount_cents=sub.rebill_price_cents, status=BillStatus.PENDING)
    session.add(bill)
    return bill


def _card_step(session: Session, sub: Subscription, at: datetime) -> None:
    account = session.get(VendorAccount, sub.account_id)
    order = session.get(Order, sub.order_id)
    if sub.dunning_notices >= dunning.CARD_NOTICES:
        cancel(session, sub=sub, at=at, reason="card_invalid")
        return
    sub.dunning_notices += 1
    billing_mail.send(session, now=at, kind="card_invalid", order=order,
                      extra=f"Notice {sub.dunning_notices} of {dunning.CARD_NOTICES}.")
    today = calendar.local(at, account.time_zone).date()
    sub.dunning_next_date = dunning.next_card_step(sub.dunning_notices, today)[1]
    sub.next_charge_at = calendar.local_midnight(sub.dunning_next_date, account.time_zone)
    session.add(sub)


def run_due(engine: Engine, now: datetime) -> int:
    from cbportal.services.core.clock import get_clock

    return run_reminders(engine, now) + run_rebills(engine, now, clock=get_clock())

