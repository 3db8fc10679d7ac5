"""Ticket work the worker does when it is due (RULES R3, R4): refund and cancel
tickets at `process_at` (a refund stays open as "refund pending" until the gateway
confirms it: services/billing/refunds.py), tech-support inactivity warnings and closes, and
the reconciling and retrying of refunds. Each batch is claimed with `FOR UPDATE SKIP LOCKED` on
PostgreSQL and compare-and-set updates everywhere, so any number of workers can run;
work due at T is done as of T (closed_at, emails and next timers use T).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from cbportal.models import (
    Bill,
    CloseReason,
    Order,
    Party,
    PaymentAttempt,
    RefundStatus,
    Subscription,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketType,
    VendorAccount,
)
from cbportal.services.accounts import business_calendars
from cbportal.services.billing import charges as billing
from cbportal.services.billing import preload, refunds
from cbportal.services.billing.gateways import Gateway, get_gateway
from cbportal.services.billing.gateways.window import Calls
from cbportal.services.core import audit
from cbportal.services.core.clock import get_clock
from cbportal.services.tickets import mail as ticket_mail
from cbportal.services.tickets.states import Event, Who, transition
from cbportal.services.tickets.timers import inactivity_step

BATCH = 50


def _due_processing(now: datetime):
    return (Ticket.status == TicketStatus.OPEN, Ticket.type.in_([TicketType.REFUND, TicketType.CANCEL]),
            Ticket.refund_status.is_(None), Ticket.process_at <= now)


def _due_inactivity(now: datetime):
    return (Ticket.status == TicketStatus.OPEN, Ticket.type == TicketType.TECH_SUPPORT, Ticket.inactivity_at <= now)


def next_due(session: Session) -> datetime | None:
    process = session.exec(select(func.min(Ticket.process_at)).where(
        Ticket.status == TicketStatus.OPEN, Ticket.type.in_([TicketType.REFUND, TicketType.CANCEL]),
        Ticket.refund_status.is_(None))).one()
    inactive = session.exec(select(func.min(Ticket.inactivity_at)).where(
        Ticket.status == TicketStatus.OPEN, Ticket.type == TicketType.TECH_SUPPORT)).one()
    retry = refunds.next_due(session)
    dues = [d for d in (process, inactive, retry) if d is not None]
    return min(dues) if dues else None


def _claim_ids(session: Session, where, order_by) -> list[int]:
    query = select(Ticket.id).where(*where).order_by(order_by, Ticket.id).limit(BATCH)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def _cancel_subscription(session: Session, order: Order, at: datetime, reason: str,
                         subs: dict[int, Subscription] | None = None) -> None:
    sub = subs.get(order.id) if subs is not None else \
        session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
    if sub is not None:
        billing.cancel(session, sub=sub, at=at, reason=reason)


def _process(session: Session, ticket: Ticket, *, claimed_at: datetime, batch: _Batch) -> PaymentAttempt | None:
    """Process one due refund/cancel ticket (R3), compare-and-set on what we read. A refund
    with money to return stays open as "refund pending" until the gateway confirms it;
    returns the refund attempt to settle (not flushed yet), if any."""
    at = ticket.process_at
    order = session.get(Order, ticket.order_id)
    bill = session.get(Bill, ticket.target_bill_id) if ticket.type == TicketType.REFUND and ticket.target_bill_id \
        else None
    refunding = bill is not None and bill.amount_cents > bill.refunded_cents
    values = ({"refund_status": RefundStatus.PENDING} if refunding else
              {"close_reason": CloseReason.PROCESSED, "closed_at": at})
    event = Event.START_REFUND if refunding else Event.PROCESS
    if not transition(session, ticket, event, Who.SYSTEM, now=at, values=values, quiet=True, refresh=False):
        return None
    session.add(TicketEvent(ticket_id=ticket.id, kind="refund_pending" if refunding else "processed",
                            actor=Party.SYSTEM, at=at, detail={"type": str(ticket.type)}))
    audit.record(session, now=at, actor="system", action="ticket.refund_started" if refunding
                 else f"ticket.processed.{ticket.type}", entity="ticket", entity_id=ticket.id,
                 account_id=ticket.account_id)
    _cancel_subscription(session, order, at, "refund" if ticket.type == TicketType.REFUND else "cancel_ticket",
                         batch.subs)
    if refunding:
        return refunds.begin(session, now=at, bill=bill, key=f"refund:ticket:{ticket.id}", ticket_id=ticket.id,
                             claimed_at=claimed_at, known=batch.attempts, flush=False)
    if ticket.type == TicketType.REFUND:
        ticket_mail.send(session, now=at, kind="refund_confirmation", ticket=ticket,
                         extra="(Nothing was left to refund.)")
    else:
        ticket_mail.send(session, now=at, kind="cancel_confirmation", ticket=ticket)
    return None


class _Batch:
    """A claimed batch of tickets with what processing them reads, loaded in a few queries:
    orders, target bills, subscriptions, the orders' parties, refund attempts by key."""

    def __init__(self, session: Session, ids: list[int]):
        self.tickets = list(session.exec(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)))
        orders = preload.rows(session, Order, (t.order_id for t in self.tickets))
        preload.rows(session, Bill, (t.target_bill_id for t in self.tickets))
        preload.order_parties(session, orders.values())
        self.subs = preload.subscriptions_of(session, orders)
        keys = [f"refund:ticket:{t.id}" for t in self.tickets]
        self.attempts = {a.idempotency_key: a for a in session.exec(
            select(PaymentAttempt).where(PaymentAttempt.idempotency_key.in_(keys)))}


def process_due_tickets(engine: Engine, now: datetime, gateway: Gateway | None = None, clock=None) -> int:
    """Process every refund/cancel ticket due by `now`; returns how many were processed.
    Leases are counted from the claim instant (`clock`, read per batch), never from when
    the ticket was due, so a late worker's call in flight is never taken over."""
    gateway = gateway or get_gateway()
    calls = Calls(lambda got: refunds.record_answers(engine, got))
    done = 0
    while True:
        claimed_at = max(now, clock.now()) if clock else now
        to_settle: list[int] = []
        with Session(engine) as session, session.no_autoflush:
            ids = _claim_ids(session, _due_processing(now), Ticket.process_at)
            if not ids:
                break
            before = done
            batch = _Batch(session, ids)
            attempts = []
            for ticket in batch.tickets:
                attempt = _process(session, ticket, claimed_at=claimed_at, batch=batch)
                if ticket.refund_status == RefundStatus.PENDING or ticket.status == TicketStatus.CLOSED:
                    done += 1
                if attempt is not None:
                    attempts.append(attempt)
            session.flush()   # the batch's events, audit rows and attempts, inserted together
            to_settle = [a.id for a in attempts]
            session.commit()
        if to_settle:
            refunds.settle(engine, attempt_ids=to_settle, gateway=gateway, now=now, calls=calls)
        if done == before:
            break  # every due row changed under us (another worker): nothing left for this round
    calls.drain()
    return done


def settle_refunds(engine: Engine, now: datetime, gateway: Gateway | None = None, clock=None) -> int:
    """Reconcile refunds whose outcome is unknown and retry the refused ones (R3, R6)."""
    return refunds.run_due(engine, now, gateway or get_gateway(), clock=clock)


def process_inactivity(engine: Engine, now: datetime) -> int:
    """Send inactivity warnings and close inactive tech-support tickets due by `now`."""
    done = 0
    while True:
        with Session(engine) as session:
            ids = _claim_ids(session, _due_inactivity(now), Ticket.inactivity_at)
            if not ids:
                break
            before = done
            for ticket in session.exec(select(Ticket).where(Ticket.id.in_(ids))):
                at = ticket.inactivity_at
                tz = business_calendars.for_account(session, session.get(VendorAccount, ticket.account_id))
                step, _ = inactivity_step(last_actor=ticket.last_actor, last_action_at=ticket.last_action_at,
                                          warnings_sent=ticket.inactivity_warnings, tz=tz)
                if step == "warn":
                    nxt = inactivity_step(last_actor=ticket.last_actor, last_action_at=ticket.last_action_at,
                                          warnings_sent=ticket.inactivity_warnings + 1, tz=tz)[1]
                    values = {"inactivity_warnings": ticket.inactivity_warnings + 1, "inactivity_at": nxt}
                else:
                    values = {"close_reason": CloseReason.INACTIVITY, "closed_at": at, "inactivity_at": None}
                event = Event.WARN_INACTIVE if step == "warn" else Event.CLOSE_INACTIVE
                if not transition(session, ticket, event, Who.SYSTEM, now=at, values=values,
                                  expect={"inactivity_at": at}, quiet=True, refresh=False):
                    continue
                kind = "inactivity_warning" if step == "warn" else "ticket_closed"
                session.add(TicketEvent(ticket_id=ticket.id, kind=kind, actor=Party.SYSTEM, at=at, detail={}))
                audit.record(session, now=at, actor="system", action=f"ticket.{kind}", entity="ticket",
                             entity_id=ticket.id, account_id=ticket.account_id)
                ticket_mail.send(session, now=at, kind=kind, ticket=ticket)
                done += 1
            session.commit()
        if done == before:
            break
    return done


def run_due(engine: Engine, now: datetime) -> int:
    clock = get_clock()
    return (process_due_tickets(engine, now, clock=clock) + process_inactivity(engine, now)
            + settle_refunds(engine, now, clock=clock))

