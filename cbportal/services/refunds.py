"""Refunds through the gateway, exactly once (RULES R6).

`begin` records the attempt and its idempotency key in the caller's transaction,
before any gateway call. `settle_many` (no transaction held) asks the gateway — first
`find` when the attempt may have been sent before (a crashed worker), so a gateway
that ignores keys never refunds twice — and records the answer. `reclaim_stale`
finds attempts a crashed worker left pending.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from cbportal.models import (
    AttemptKind, AttemptOutcome, Bill, BillStatus, Order, OrderStatus, PaymentAttempt, PaymentMethod,
)
from cbportal.services.gateways import Gateway, Outcome

LEASE = timedelta(seconds=60)


def paid_charge_ref(session: Session, bill: Bill) -> str | None:
    return session.exec(select(PaymentAttempt.gateway_ref).where(
        PaymentAttempt.bill_id == bill.id, PaymentAttempt.kind == AttemptKind.CHARGE,
        PaymentAttempt.outcome == AttemptOutcome.PAID)).first()


def begin(session: Session, *, now: datetime, bill: Bill, key: str, ticket_id: int | None = None,
          amount_cents: int | None = None) -> PaymentAttempt:
    """Record a pending refund of `amount_cents` (default: the rest) of `bill` under `key`
    (or return the one recorded)."""
    existing = session.exec(select(PaymentAttempt).where(PaymentAttempt.idempotency_key == key)).first()
    if existing:
        return existing
    order = session.get(Order, bill.order_id)
    method = session.get(PaymentMethod, order.payment_method_id)
    attempt = PaymentAttempt(bill_id=bill.id, ticket_id=ticket_id, kind=AttemptKind.REFUND, idempotency_key=key,
                             amount_cents=amount_cents if amount_cents is not None else bill.amount_cents - bill.refunded_cents, outcome=AttemptOutcome.PENDING,
                             gateway=method.gateway, at=now)
    session.add(attempt)
    session.flush()
    return attempt


def settle_many(engine: Engine, *, attempt_ids: list[int], gateway: Gateway, now: datetime,
                maybe_sent: bool = False, on_refunded=None) -> dict[int, str]:
    """Ask the gateway for pending refunds (no transaction held during the calls), then
    record every answer in one transaction; `on_refunded(session, attempt, bill)` adds
    what follows a refund (emails, INS) to that transaction. A crash between the two
    leaves the attempts pending for `reclaim` to look up: nothing is refunded twice."""
    with Session(engine) as session:
        work = []
        for attempt in session.exec(select(PaymentAttempt).where(PaymentAttempt.id.in_(attempt_ids),
                                                                 PaymentAttempt.outcome == AttemptOutcome.PENDING)):
            work.append((attempt.id, attempt.idempotency_key, attempt.amount_cents,
                         paid_charge_ref(session, session.get(Bill, attempt.bill_id))))
    answers = {}
    for attempt_id, key, amount, charge_ref in work:
        result = gateway.find(idempotency_key=key) if maybe_sent else None
        if result is None and charge_ref is not None and amount > 0:
            result = gateway.refund(charge_ref=charge_ref, amount_cents=amount, idempotency_key=key)
        answers[attempt_id] = result
    outcomes = {}
    with Session(engine) as session, session.no_autoflush:
        for attempt_id, result in answers.items():
            outcome = result.outcome if result else Outcome.ERROR
            outcomes[attempt_id] = outcome
            done = session.execute(update(PaymentAttempt).where(
                PaymentAttempt.id == attempt_id, PaymentAttempt.outcome == AttemptOutcome.PENDING).values(
                outcome=AttemptOutcome.REFUNDED if outcome == Outcome.REFUNDED else AttemptOutcome.ERROR,
                gateway_ref=result.ref if result else None, finished_at=now)
                .execution_options(synchronize_session=False)).rowcount
            if not (done and outcome == Outcome.REFUNDED):
                continue
            attempt = session.get(PaymentAttempt, attempt_id)
            bill = session.get(Bill, attempt.bill_id)
            bill.refunded_cents += attempt.amount_cents
            if bill.refunded_cents >= bill.amount_cents:
                bill.status = BillStatus.REFUNDED
            bill.refunded_at = now
            session.add(bill)
            order = session.get(Order, bill.order_id)
            order.status = OrderStatus.REFUNDED
            session.add(order)
            if on_refunded:
                on_refunded(session, attempt, bill)
        session.commit()
    return outcomes


def stale_pending(session: Session, *, now: datetime) -> list[int]:
    return list(session.exec(select(PaymentAttempt.id).where(
        PaymentAttempt.kind == AttemptKind.REFUND, PaymentAttempt.outcome == AttemptOutcome.PENDING,
        PaymentAttempt.at <= now - LEASE).order_by(PaymentAttempt.at).limit(100)))


def next_stale(session: Session) -> datetime | None:
    first = session.exec(select(PaymentAttempt.at).where(
        PaymentAttempt.kind == AttemptKind.REFUND, PaymentAttempt.outcome == AttemptOutcome.PENDING)
        .order_by(PaymentAttempt.at).limit(1)).first()
    return first + LEASE if first else None


def lease(engine: Engine, attempt_id: int, *, now: datetime) -> bool:
    """Take over a stale pending attempt (compare-and-set on its timestamp)."""
    with Session(engine) as session:
        at = session.exec(select(PaymentAttempt.at).where(PaymentAttempt.id == attempt_id)).first()
        if at is None or at > now - LEASE:
            return False
        ok = session.execute(update(PaymentAttempt).where(
            PaymentAttempt.id == attempt_id, PaymentAttempt.at == at,
            PaymentAttempt.outcome == AttemptOutcome.PENDING).values(at=now)).rowcount == 1
        session.commit()
        return ok
