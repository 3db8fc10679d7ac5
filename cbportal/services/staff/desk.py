"""What platform staff do for customers and vendors (R8): open a ticket for a customer on
the phone, flag or unflag a vendor for abuse, grant admin-controlled frequencies, the
account list these act on, the escalations waiting for review (with the customer's words
and the thread), and the stuck-refunds queue (R3: refunds not through after
3 days: retry now, or mark refunded by hand with a reason). Staff only; every change is
audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import (
    Customer,
    EscalationStatus,
    Order,
    Party,
    Ticket,
    TicketComment,
    TicketStatus,
    VendorAccount,
)
from cbportal.services.accounts.accounts import get_account
from cbportal.services.accounts.auth import Actor
from cbportal.services.billing import orders, refunds
from cbportal.services.core import audit
from cbportal.services.core.money import format_cents
from cbportal.services.tickets import lifecycle as tickets

AUTHOR = {"customer": "Customer", "vendor": "Vendor", "staff": "Platform staff", "system": "System"}


def accounts(session: Session, *, actor: Actor) -> list[dict]:
    actor.require_staff()
    open_counts = dict(session.exec(select(Ticket.account_id, func.count()).where(Ticket.status == TicketStatus.OPEN)
                                    .group_by(Ticket.account_id)).all())
    return [{"nickname": a.nickname, "flagged": a.abuse_flagged, "admin_frequencies": a.admin_frequencies,
             "open_tickets": open_counts.get(a.id, 0), "time_zone": a.time_zone}
            for a in session.exec(select(VendorAccount).order_by(VendorAccount.nickname))]


def phone_ticket(session: Session, *, now: datetime, actor: Actor, receipt: str, email: str, type: str,
                 comment: str | None = None) -> Ticket:
    """A ticket for a customer who called: they prove the order with its receipt and their
    email, as in the portal; the timers are the customer's (R3)."""
    actor.require_staff()
    order = orders.customer_lookup(session, receipt=receipt, email=email)
    who, opener = tickets.opening_as(actor)          # staff: the customer's timing (R3)
    return tickets.open_ticket(session, now=now, order=order, type=type, who=who, opener=opener, comment=comment)


def set_abuse_flag(session: Session, *, now: datetime, actor: Actor, nickname: str, flagged: bool) -> None:
    actor.require_staff()
    tickets.flag(session, now=now, actor=actor, account_id=get_account(session, nickname).id, flagged=flagged)


def set_admin_frequencies(session: Session, *, now: datetime, actor: Actor, nickname: str, granted: bool) -> None:
    """Allow (or stop allowing) the account's new products to use admin-controlled frequencies (R5)."""
    actor.require_staff()
    account = get_account(session, nickname)
    account.admin_frequencies = granted
    session.add(account)
    audit.record(session, now=now, actor=actor, action="account.admin_frequencies", entity="vendor_account",
                 entity_id=account.id, account_id=account.id, granted=granted)


def _age(delta: timedelta) -> str:
    days, hours = delta.days, delta.seconds // 3600
    if days:
        return f"{days} day{'s' * (days != 1)}" + (f" {hours} hour{'s' * (hours != 1)}" if hours else "")
    return f"{hours} hour{'s' * (hours != 1)}" if hours else "under an hour"


def stuck_refunds(session: Session, *, now: datetime, actor: Actor) -> list[dict]:
    """Refunds not through 3 days after they began (R3), with the customer, the amount in
    words and the age, for the staff queue."""
    actor.require_staff()
    rows = refunds.stuck(session, now=now)
    receipts = [r["receipt"] for r in rows]
    customers = {o.receipt: c for o, c in session.exec(
        select(Order, Customer).join(Customer, Customer.id == Order.customer_id).where(Order.receipt.in_(receipts)))
    } if receipts else {}
    return [{**r, "customer_name": customers[r["receipt"]].name, "customer_email": customers[r["receipt"]].email,
             "amount": format_cents(r["amount_cents"], r["currency"]), "age": _age(now - r["started_at"])}
            for r in rows]


def escalations(session: Session, *, actor: Actor) -> list[dict]:
    """Tickets waiting for platform review, oldest first, with what the customer wrote when
    escalating and the whole thread (R3)."""
    actor.require_staff()
    rows = session.exec(select(Ticket, Order, VendorAccount, Customer).join(Order, Ticket.order_id == Order.id)
                        .join(VendorAccount, Ticket.account_id == VendorAccount.id)
                        .join(Customer, Customer.id == Order.customer_id)
                        .where(Ticket.escalation == EscalationStatus.PENDING).order_by(Ticket.escalated_at)).all()
    ids = [t.id for t, *_ in rows]
    thread: dict[int, list[TicketComment]] = {i: [] for i in ids}
    if ids:
        for c in session.exec(select(TicketComment).where(TicketComment.ticket_id.in_(ids))
                              .order_by(TicketComment.at, TicketComment.id)):
            thread[c.ticket_id].append(c)
    out = []
    for t, o, a, c in rows:
        said = [m for m in thread[t.id] if m.author == Party.CUSTOMER and m.at >= t.escalated_at]
        out.append({"id": t.id, "receipt": o.receipt, "account": a.nickname, "type": str(t.type).replace("_", " "),
                    "status": str(t.status), "flagged": a.abuse_flagged, "customer": f"{c.name} <{c.email}>",
                    "escalation_text": said[0].body if said else "(the customer wrote nothing)",
                    "thread": [{"author": AUTHOR.get(str(m.author), str(m.author)),
                                "at": m.at.strftime("%Y-%m-%d %H:%M UTC"), "body": m.body} for m in thread[t.id]]})
    return out


def retry_refund(session: Session, *, now: datetime, actor: Actor, attempt_id: int) -> None:
    actor.require_staff()
    refunds.retry_now(session, now=now, by=actor, attempt_id=attempt_id)


def mark_refunded(session: Session, *, now: datetime, actor: Actor, attempt_id: int, reason: str) -> None:
    actor.require_staff()
    refunds.mark_refunded(session, now=now, by=actor, attempt_id=attempt_id, reason=reason)
