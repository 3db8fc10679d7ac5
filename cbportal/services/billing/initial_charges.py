"""Reconciling first payments left pending at checkout (RULES R6, issue 11).

A checkout whose charge the gateway reports as still processing (a SEPA debit), or whose
answer was lost even on the look-up (`billing.charge_at_once` raised `Unavailable`),
leaves the order's initial bill `pending` with a pending attempt: no receipt, no sale, no
subscription. This due-work source looks such payments up at the gateway (`find`, never a
new charge) and finishes them through `checkout.finish_initial_charge`: paid -> the sale
(receipt, sale notice, SALE, the subscription starts); declined -> the order fails; never
reached the gateway -> the order fails (nothing was taken); still processing or no answer
-> looked up again later.

Timer: `PaymentAttempt.check_at` (the column refunds use; rebills keep theirs on the
subscription). A pending initial charge with no timer is first looked at `FIRST_LOOK`
after it began, so a checkout still waiting on its own call is never raced. Claims are
compare-and-set on `check_at` with a lease counted from the claim instant, so two workers
never look the same payment up at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func, or_, update
from sqlmodel import Session, select

from cbportal.models import AttemptKind, AttemptOutcome, Bill, BillKind, PaymentAttempt
from cbportal.services.billing.gateways import Gateway, GatewayResult, Outcome

FIRST_LOOK = timedelta(minutes=10)
LEASE = timedelta(minutes=2)
BATCH = 50


def again_after(age: timedelta) -> timedelta:
    """How long until the next look at a payment still processing, by how old it is: a SEPA
    debit takes days, so look often at first and every 6 hours after a day."""
    if age < timedelta(hours=1):
        return timedelta(minutes=15)
    if age < timedelta(days=1):
        return timedelta(hours=1)
    return timedelta(hours=6)


def _pending_initial():
    return and_(PaymentAttempt.kind == AttemptKind.CHARGE, PaymentAttempt.outcome == AttemptOutcome.PENDING,
                Bill.kind == BillKind.INITIAL)


def next_due(session: Session) -> datetime | None:
    base = select(PaymentAttempt).join(Bill, Bill.id == PaymentAttempt.bill_id).where(_pending_initial())
    timed = session.exec(base.with_only_columns(func.min(PaymentAttempt.check_at))
                         .where(PaymentAttempt.check_at.is_not(None))).one()
    untimed = session.exec(base.with_only_columns(func.min(PaymentAttempt.at))
                           .where(PaymentAttempt.check_at.is_(None))).one()
    dues = [d for d in (timed, untimed + FIRST_LOOK if untimed is not None else None) if d is not None]
    return min(dues) if dues else None


def _claim(session: Session, attempt: PaymentAttempt, check_at: datetime) -> bool:
    timer = (PaymentAttempt.check_at.is_(None) if attempt.check_at is None
             else PaymentAttempt.check_at == attempt.check_at)
    return session.execute(update(PaymentAttempt).where(
        PaymentAttempt.id == attempt.id, PaymentAttempt.outcome == AttemptOutcome.PENDING, timer)
        .values(check_at=check_at).execution_options(synchronize_session=False)).rowcount == 1


def _look_up(gateway: Gateway, key: str) -> GatewayResult | None | Exception:
    try:
        found = gateway.find(idempotency_key=key)
    except Exception as error:  # no answer: look again later, never charge blindly
        return error
    if found is None:
        return GatewayResult(outcome=Outcome.ERROR, message="the payment never reached the payment processor")
    return found


def run_due(engine: Engine, now: datetime, gateway: Gateway | None = None, clock=None) -> int:
    """Look up every pending first payment due by `now` and finish what the gateway decided;
    returns how many payments were looked up."""
    from cbportal.services.billing import checkout
    from cbportal.services.billing.gateways import get_gateway
    from cbportal.services.core.clock import get_clock

    gateway = gateway or get_gateway()
    clock = clock or get_clock()
    handled = 0
    while True:
        claimed_at = max(now, clock.now())
        claimed: list[tuple[int, str, datetime]] = []
        with Session(engine) as session:
            query = (select(PaymentAttempt).join(Bill, Bill.id == PaymentAttempt.bill_id).where(
                _pending_initial(), or_(PaymentAttempt.check_at <= now,
                                        and_(PaymentAttempt.check_at.is_(None), PaymentAttempt.at <= now - FIRST_LOOK)))
                .order_by(PaymentAttempt.at, PaymentAttempt.id).limit(BATCH))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(of=PaymentAttempt, skip_locked=True)
            for attempt in session.exec(query).all():
                if _claim(session, attempt, claimed_at + LEASE):
                    claimed.append((attempt.id, attempt.idempotency_key, attempt.at))
            session.commit()
        if not claimed:
            return handled
        handled += len(claimed)
        for attempt_id, key, began in claimed:
            found = _look_up(gateway, key)
            if isinstance(found, Exception) or found.outcome == Outcome.PENDING:
                with Session(engine) as session:
                    session.execute(update(PaymentAttempt).where(
                        PaymentAttempt.id == attempt_id, PaymentAttempt.outcome == AttemptOutcome.PENDING).values(
                        check_at=now + again_after(now - began),
                        **({"gateway_ref": found.ref} if not isinstance(found, Exception) and found.ref else {}))
                        .execution_options(synchronize_session=False))
                    session.commit()
                continue
            checkout.finish_initial_charge(engine, attempt_id=attempt_id, result=found, at=now)
            with Session(engine) as session:       # final: no timer left
                session.execute(update(PaymentAttempt).where(PaymentAttempt.id == attempt_id).values(check_at=None)
                                .execution_options(synchronize_session=False))
                session.commit()
