"""Test-mode operations behind /api/v1/test (API.md "Test mode only"): reset the
database, read and move the stored clock, advance it to the next due event (saying what
was due and what ran), force sandbox outcomes, read the outbox."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import Engine, delete, func, text
from sqlmodel import Session, SQLModel, select

from cbportal.models import (
    AttemptKind,
    EmailOutbox,
    InsOutbox,
    Order,
    PaymentAttempt,
    PaymentMethod,
    Subscription,
    Ticket,
    TicketStatus,
    TicketType,
)
from cbportal.services.accounts import auth
from cbportal.services.billing.gateways import Outcome
from cbportal.services.billing.gateways.sandbox import with_behavior
from cbportal.services.core.clock import TEST_CLOCK_START, StoredClock
from cbportal.services.core.errors import Invalid, NotFound
from cbportal.services.engine import worker
from cbportal.services.engine.worker import DueSource, advance_test_clock

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


# --- advance to the next event (R2 test clock) ------------------------------------------

KIND_LABELS = {
    "ticket_refund": ("refund ticket", "refund tickets"),
    "ticket_cancel": ("cancel ticket", "cancel tickets"),
    "ticket_inactivity": ("tech-support inactivity step", "tech-support inactivity steps"),
    "rebill": ("rebill", "rebills"),
    "dunning": ("billing retry or card notice", "billing retries or card notices"),
    "reminder": ("pre-rebill reminder", "pre-rebill reminders"),
    "email": ("email", "emails"),
    "ins": ("INS notification", "INS notifications"),
    "refund_check": ("pending refund look-up", "pending refund look-ups"),
}
SOURCE_LABELS = {"tickets": "tickets", "billing": "billing", "initial_charges": "pending first payments", "ins": "INS",
                 "email": "email"}


def _count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def due_by(session: Session, instant: datetime) -> list[dict]:
    """What is due by `instant`, by kind: [{"kind": "ticket_refund", "count": 1}, ...] (only kinds due)."""
    open_ticket = Ticket.status == TicketStatus.OPEN
    counts = {
        "ticket_refund": _count(session, Ticket, open_ticket, Ticket.type == TicketType.REFUND,
                                Ticket.refund_status.is_(None), Ticket.process_at <= instant),
        "ticket_cancel": _count(session, Ticket, open_ticket, Ticket.type == TicketType.CANCEL,
                                Ticket.process_at <= instant),
        "ticket_inactivity": _count(session, Ticket, open_ticket, Ticket.type == TicketType.TECH_SUPPORT,
                                    Ticket.inactivity_at <= instant),
        "rebill": _count(session, Subscription, Subscription.next_charge_at <= instant,
                         Subscription.dunning_kind.is_(None)),
        "dunning": _count(session, Subscription, Subscription.next_charge_at <= instant,
                          Subscription.dunning_kind.is_not(None)),
        "reminder": _count(session, Subscription, Subscription.reminder_due_at <= instant),
        "email": _count(session, EmailOutbox, EmailOutbox.sent_at.is_(None), EmailOutbox.next_attempt_at <= instant),
        "ins": _count(session, InsOutbox, InsOutbox.delivered_at.is_(None), InsOutbox.gave_up_at.is_(None),
                      InsOutbox.next_attempt_at <= instant),
    }
    counts["refund_check"] = _count(session, PaymentAttempt, PaymentAttempt.kind == AttemptKind.REFUND,
                                    PaymentAttempt.check_at <= instant)
    return [{"kind": kind, "count": n} for kind, n in counts.items() if n]


def _phrase(label: tuple[str, str] | str, count: int) -> str:
    one, many = label if isinstance(label, tuple) else (label, label)
    return f"{count} {one if count == 1 else many}"


def advance_to_next(engine: Engine) -> dict:
    """Move the stored test clock to the next due instant of any kind (ticket, rebill,
    reminder, dunning, email, INS) and run what is due there, in time order (R2). Work due
    at or before the clock's time runs without moving it. Returns where the clock was and
    is, what was due (by kind) and how many items each area ran, with a summary sentence."""
    clock = StoredClock(engine)
    before = clock.now()
    due, names = worker.next_due_sources(engine)
    if due is None:
        return {"previous": before, "now": before, "next_due": None, "due": [], "ran": [], "processed": 0,
                "summary": "Nothing is scheduled: the clock stays where it is."}
    target = max(due, before)
    with Session(engine) as session:
        was_due = due_by(session, target)
    ran: dict[str, int] = {}

    def counting(source: DueSource) -> DueSource:
        def run(eng: Engine, now: datetime) -> int:
            done = source.run_due(eng, now)
            ran[source.name] = ran.get(source.name, 0) + done
            return done
        return dataclasses.replace(source, run_due=run)

    processed = advance_test_clock(engine, target, [counting(s) for s in worker.all_sources()])
    ran_list = [{"kind": name, "count": n} for name, n in ran.items() if n]
    moved = "Moved the clock to" if target > before else "The clock stays at"
    parts = ", ".join(_phrase(KIND_LABELS[d["kind"]], d["count"]) for d in was_due) or "nothing"
    done = ", ".join(f"{SOURCE_LABELS.get(r['kind'], r['kind'])} {r['count']}" for r in ran_list) or "nothing"
    return {"previous": before, "now": clock.now(), "next_due": due, "due": was_due, "ran": ran_list,
            "processed": processed,
            "summary": f"{moved} {target.strftime('%a %Y-%m-%d %H:%M')} UTC. Due then: {parts}. "
                       f"Ran: {done} ({processed} in all)."}
