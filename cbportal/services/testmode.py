"""Test-mode operations behind /api/v1/test (API.md "Test mode only"): reset the
database, read and move the stored clock, force sandbox outcomes, read the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, text
from sqlmodel import Session, SQLModel, select

from cbportal.models import EmailOutbox, Order, PaymentMethod
from cbportal.services import auth
from cbportal.services.clock import TEST_CLOCK_START, StoredClock
from cbportal.services.errors import Invalid, NotFound
from cbportal.services.gateways import Outcome
from cbportal.services.gateways.sandbox import with_behavior
from cbportal.services.worker import advance_test_clock

STAFF_EMAIL = "teststaff@cbportal.test"


def reset(engine: Engine) -> str:
    """Empty every table, set the clock to 2026-01-05T00:00Z, make a staff user; returns its key."""
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables)]
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                session.execute(delete(table))
        StoredClock.move(session, TEST_CLOCK_START)
        staff = auth.create_user(session, now=TEST_CLOCK_START, email=STAFF_EMAIL, name="Test staff",
                                 is_staff=True)
        key = auth.create_api_key(session, now=TEST_CLOCK_START, user_id=staff.id, name="test")
        session.commit()
    return key


def move_clock(engine: Engine, to: datetime) -> int:
    return advance_test_clock(engine, to)


def set_payment_behavior(session: Session, *, receipt: str, behavior: str) -> None:
    if behavior not in (Outcome.PAID, "ok", Outcome.INSUFFICIENT_FUNDS, Outcome.INVALID_CARD):
        raise Invalid("behavior is ok, insufficient_funds or invalid_card", "invalid_behavior")
    behavior = Outcome.PAID if behavior == "ok" else behavior
    order = session.exec(select(Order).where(Order.receipt == receipt)).first()
    if not order:
        raise NotFound(f"no order {receipt!r}", "order_not_found")
    method = session.get(PaymentMethod, order.payment_method_id)
    method.test_behavior = behavior
    if method.gateway == "sandbox":
        method.gateway_method_ref = with_behavior(method.gateway_method_ref, behavior)
    session.add(method)


def outbox(session: Session, *, receipt: str | None = None, kind: str | None = None) -> list[EmailOutbox]:
    query = select(EmailOutbox).order_by(EmailOutbox.created_at, EmailOutbox.id)
    if receipt:
        order = session.exec(select(Order).where(Order.receipt == receipt)).first()
        if not order:
            return []
        query = query.where(EmailOutbox.order_id == order.id)
    if kind:
        query = query.where(EmailOutbox.kind == kind)
    return list(session.exec(query))
