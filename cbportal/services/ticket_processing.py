"""Ticket work the worker does when it is due (RULES R3, R4): refund and cancel
tickets at `process_at`, tech-support inactivity warnings and closes, and refunds a
crashed worker left pending. Each batch is claimed with `FOR UPDATE SKIP LOCKED` on
PostgreSQL and compare-and-set updates everywhere, so any number of workers can run;
work due at T is done as of T (closed_at, emails and next timers use T).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, update
from sqlmodel import Session, select

from cbportal.models import (
    Bill, CloseReason, Order, Party, Subscription, SubscriptionStatus, Ticket, TicketEvent, TicketStatus,
    TicketType, VendorAccount,
)
from cbportal.services import audit, mail, refunds, ticket_mail
from cbportal.services.gateways import Gateway, get_gateway
from cbportal.services.ticket_timers import inactivity_step
from cbportal.services.worker import DueSource, register

BATCH = 50


def _due_processing(now: datetime):
    return (Ticket.status == TicketStatus.OPEN, Ticket.type.in_([TicketType.REFUND, TicketType.CANCEL]),
            Ticket.process_at <= now)


def _due_inactivity(now: datetime):
    return (Ticket.status == TicketStatus.OPEN, Ticket.type == TicketType.TECH_SUPPORT, Ticket.inactivity_at <= now)


def next_due(session: Session) -> datetime | None:
    process = session.exec(select(func.min(Ticket.process_at)).where(
        Ticket.status == TicketStatus.OPEN, Ticket.type.in_([TicketType.REFUND, TicketType.CANCEL]))).one()
    inactive = session.exec(select(func.min(Ticket.inactivity_at)).where(
        Ticket.status == TicketStatus.OPEN, Ticket.type == TicketType.TECH_SUPPORT)).one()
    stale = refunds.next_stale(session)
    dues = [d for d in (process, inactive, stale) if d is not None]
    return min(dues) if dues else None


def _claim_ids(session: Session, where, order_by) -> list[int]:
    query = select(Ticket.id).where(*where).order_by(order_by, Ticket.id).limit(BATCH)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def _cancel_subscription(session: Session, order: Order, at: datetime, reason: str) -> bool:
    sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
    if sub is None:
        return False
    canceled = session.execute(update(Subscription).where(
        Subscription.id == sub.id, Subscription.status.in_([SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING]))
        .values(status=SubscriptionStatus.CANCELED, canceled_at=at, cancel_reason=reason, next_bill_date=None,
                dunning_next_date=None).execution_options(synchronize_session=False)).rowcount == 1
    if canceled:
        account = session.get(VendorAccount, order.account_id)
        from cbportal.models import Customer

        customer = session.get(Customer, order.customer_id)
        for to in (customer.email, account.ticket_email):
            mail.queue(session, now=at, kind="subscription_canceled", to=to, account_id=account.id,
                       order_id=order.id, subject=f"Subscription canceled: order {order.receipt}",
                       why=f"The subscription of order {order.receipt} was canceled; no further bills will be charged.",
                       lines=[f"Reason: {reason.replace('_', ' ')}."])
    return canceled


def process_due_tickets(engine: Engine, now: datetime, gateway: Gateway | None = None) -> int:
    """Process every refund/cancel ticket due by `now`; returns how many were processed."""
    done = 0
    while True:
        refunds_to_settle: list[int] = []
        with Session(engine) as session, session.no_autoflush:
            ids = _claim_ids(session, _due_processing(now), Ticket.process_at)
            if not ids:
                break
            before = done
            for ticket in session.exec(select(Ticket).where(Ticket.id.in_(ids))):
                at = ticket.process_at
                claimed = session.execute(update(Ticket).where(
                    Ticket.id == ticket.id, Ticket.status == TicketStatus.OPEN, Ticket.type == ticket.type,
                    Ticket.process_at == at).values(
                    status=TicketStatus.CLOSED, close_reason=CloseReason.PROCESSED, closed_at=at)
                    .execution_options(synchronize_session=False)).rowcount
                if not claimed:
                    continue
                ticket.status, ticket.close_reason, ticket.closed_at = TicketStatus.CLOSED, CloseReason.PROCESSED, at
                order = session.get(Order, ticket.order_id)
                session.add(TicketEvent(ticket_id=ticket.id, kind="processed", actor=Party.SYSTEM, at=at,
                                        detail={"type": str(ticket.type)}))
                audit.record(session, now=at, actor="system", action=f"ticket.processed.{ticket.type}",
                             entity="ticket", entity_id=ticket.id, account_id=ticket.account_id)
                if ticket.type == TicketType.REFUND:
                    _cancel_subscription(session, order, at, "refund")
                    bill = session.get(Bill, ticket.target_bill_id) if ticket.target_bill_id else None
                    if bill is not None and bill.amount_cents > bill.refunded_cents:
                        attempt = refunds.begin(session, now=at, bill=bill, key=f"refund:ticket:{ticket.id}",
                                                ticket_id=ticket.id)
                        refunds_to_settle.append(attempt.id)
                    else:
                        ticket_mail.send(session, now=at, kind="refund_confirmation", ticket=ticket,
                                         extra="(Nothing was left to refund.)")
                else:
                    _cancel_subscription(session, order, at, "cancel_ticket")
                    ticket_mail.send(session, now=at, kind="cancel_confirmation", ticket=ticket)
                done += 1
            session.commit()
        if done == before:
            break  # every due row changed under us (another worker): nothing left for this round
        if refunds_to_settle:
            refunds.settle_many(engine, attempt_ids=refunds_to_settle, gateway=gateway or get_gateway(), now=now,
                                on_refunded=_refund_emails)
    return done


def _refund_emails(session: Session, attempt, bill) -> None:
    if attempt.ticket_id:
        ticket = session.get(Ticket, attempt.ticket_id)
        ticket_mail.send(session, now=ticket.closed_at or attempt.at, kind="refund_confirmation", ticket=ticket)


def settle_stale_refunds(engine: Engine, now: datetime, gateway: Gateway | None = None) -> int:
    """Finish refunds a crashed worker left pending: look them up before refunding."""
    with Session(engine) as session:
        ids = refunds.stale_pending(session, now=now)
    leased = [attempt_id for attempt_id in ids if refunds.lease(engine, attempt_id, now=now)]
    if leased:
        refunds.settle_many(engine, attempt_ids=leased, gateway=gateway or get_gateway(), now=now, maybe_sent=True,
                            on_refunded=_refund_emails)
    return len(leased)


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
                tz = session.get(VendorAccount, ticket.account_id).time_zone
                step, _ = inactivity_step(last_actor=ticket.last_actor, last_action_at=ticket.last_action_at,
                                          warnings_sent=ticket.inactivity_warnings, tz=tz)
                if step == "warn":
                    nxt = inactivity_step(last_actor=ticket.last_actor, last_action_at=ticket.last_action_at,
                                          warnings_sent=ticket.inactivity_warnings + 1, tz=tz)[1]
                    values = {"inactivity_warnings": ticket.inactivity_warnings + 1, "inactivity_at": nxt}
                else:
                    values = {"status": TicketStatus.CLOSED, "close_reason": CloseReason.INACTIVITY,
                              "closed_at": at, "inactivity_at": None}
                claimed = session.execute(update(Ticket).where(
                    Ticket.id == ticket.id, Ticket.status == TicketStatus.OPEN, Ticket.inactivity_at == at,
                    Ticket.type == TicketType.TECH_SUPPORT).values(**values)
                    .execution_options(synchronize_session=False)).rowcount
                if not claimed:
                    continue
                for name, value in values.items():
                    setattr(ticket, name, value)
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


register(DueSource("tickets", next_due, lambda engine, now: process_due_tickets(engine, now)
                   + process_inactivity(engine, now) + settle_stale_refunds(engine, now)))
