"""The vendor's side of a ticket beyond the R3 lifecycle (issue 16 point 2), as in the help
desks agents know: the customer context panel, internal notes (their own table: no email,
customer page or customer API answer reads it), canned replies per vendor account,
assignment to a clerk (the dashboard's "mine" filter), and the thread with the status
history, times in the account's zone. Every entry point checks the ticket's account and the
Manage Tickets role (R8) through `tickets.vendor_ticket`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cbportal.models import (
    Bill,
    CannedReply,
    Customer,
    Order,
    Product,
    Role,
    Subscription,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketNote,
    TicketType,
    User,
    UserRole,
    VendorAccount,
)
from cbportal.services.accounts.accounts import accounts_for, visible_account
from cbportal.services.accounts.auth import Actor
from cbportal.services.billing import orders
from cbportal.services.core import audit, input_policy
from cbportal.services.core.errors import Conflict, Invalid, NotFound
from cbportal.services.core.money import format_cents
from cbportal.services.core.timefmt import local_text
from cbportal.services.tickets import lifecycle as tickets

TYPE_WORDS = {"tech_support": "technical support", "refund": "refund request", "cancel": "cancelation request"}
PARTY_WORDS = {"customer": "the customer", "vendor": "the vendor", "staff": "platform staff", "system": "cbportal"}
MAX_CANNED = 50


def _ticket(session: Session, actor: Actor, ticket_id: int) -> tuple[Ticket, VendorAccount]:
    ticket = tickets.vendor_ticket(session, actor=actor, ticket_id=ticket_id)
    return ticket, session.get(VendorAccount, ticket.account_id)


# --- the customer context panel ---------------------------------------------------------

def context(session: Session, *, actor: Actor, ticket_id: int, now: datetime) -> dict:
    """Who the customer is, what they bought, what is at stake, and their other tickets and
    orders in the accounts this user may see."""
    ticket, account = _ticket(session, actor, ticket_id)
    order = session.get(Order, ticket.order_id)
    customer = session.get(Customer, order.customer_id)
    product = session.get(Product, order.product_id)
    stake, stake_note = 0, ""
    if ticket.type == TicketType.CANCEL:
        sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
        if sub is not None:
            stake = sub.rebill_price_cents
            stake_note = "each rebill" + (f", {sub.payments_remaining} to come" if sub.payments_remaining else "")
    else:
        bill = session.get(Bill, ticket.target_bill_id) if ticket.target_bill_id else tickets.refund_target(
            session, order, now=now, window=tickets.CUSTOMER_WINDOW)
        if bill is not None:
            stake = bill.amount_cents - bill.refunded_cents
            stake_note = "the bill a refund would return" if ticket.type == TicketType.TECH_SUPPORT \
                else "the bill to refund"
    visible = [a.id for a in accounts_for(session, actor, Role.MANAGE_TICKETS)] if not actor.is_staff else None
    # The same person by email: each checkout writes its own customer row.
    same = select(Order).join(Customer, Customer.id == Order.customer_id).where(Customer.email == customer.email)
    if visible is not None:
        same = same.where(Order.account_id.in_(visible or [-1]))
    their_orders = list(session.exec(same.order_by(Order.created_at.desc()).limit(20)))
    ids = [o.id for o in their_orders]
    receipts = {o.id: o.receipt for o in their_orders}
    other_tickets = session.exec(select(Ticket).where(Ticket.order_id.in_(ids or [-1]), Ticket.id != ticket.id)
                                 .order_by(Ticket.opened_at.desc()).limit(20)).all()
    skus = {p.id: p.sku for p in session.exec(select(Product).where(
        Product.id.in_([o.product_id for o in their_orders] or [-1])))}
    return {
        "customer_name": customer.name, "customer_email": customer.email, "country": customer.country,
        "receipt": order.receipt, "sku": product.sku, "title": product.title,
        "order_status": orders.status_name(order.status).replace("_", " "),   # "partially refunded"
        "stake": format_cents(stake, order.currency) if stake else "", "stake_note": stake_note,
        "zone": account.time_zone,
        "other_orders": [{"receipt": o.receipt, "sku": skus.get(o.product_id, ""),
                          "status": orders.status_name(o.status).replace("_", " "),
                          "at": local_text(o.created_at, account.time_zone)}
                         for o in their_orders if o.id != order.id],
        "other_tickets": [{"id": t.id, "receipt": receipts.get(t.order_id, ""), "type": TYPE_WORDS[str(t.type)],
                           "status": str(t.status), "at": local_text(t.opened_at, account.time_zone)}
                          for t in other_tickets],
    }


# --- internal notes ------------------------------------------------------------------------

def add_note(session: Session, *, now: datetime, actor: Actor, ticket_id: int, body: str) -> TicketNote:
    """A note for the vendor's users only: never emailed, never shown to the customer."""
    ticket, account = _ticket(session, actor, ticket_id)
    text = input_policy.text(body or "", "note", 10_000)
    if not text:
        raise Invalid("a note needs some text", "empty_note")
    note = TicketNote(ticket_id=ticket.id, author_user_id=actor.user_id, body=text, at=now)
    session.add(note)
    session.flush()
    audit.record(session, now=now, actor=actor, action="ticket.note", entity="ticket", entity_id=ticket.id,
                 account_id=account.id)
    return note


# --- the thread with its status history -------------------------------------------------------

def _event_words(kind: str, actor: str, detail: dict, names: dict[int, str]) -> str:
    who = PARTY_WORDS.get(actor, actor)
    if kind == "opened":
        return f"Opened as a {TYPE_WORDS.get(detail.get('type', ''), 'ticket')} by {who}."
    if kind == "type_changed":
        return (f"Changed from {TYPE_WORDS.get(detail.get('old', ''), 'ticket')} to "
                f"{TYPE_WORDS.get(detail.get('new', ''), 'ticket')} by {who}.")
    if kind == "closed":
        return f"Closed by {who}."
    if kind == "assigned":
        user = detail.get("user_id")
        return f"Assigned to {names.get(user, 'a clerk')}." if user else "Unassigned."
    return {"reply": "", "escalated": "Escalated to platform staff by the customer.",
            "review_upheld": "Platform staff upheld the vendor's decision.",
            "review_refund": "Platform staff turned it into a refund processed at once.",
            "refund_pending": "Refund sent to the payment processor; waiting for its confirmation.",
            "processed": "Processed by cbportal.", "refunded": "Refund confirmed by the payment processor.",
            "inactivity_warning": "Inactivity warning sent to both parties.",
            "ticket_closed": "Closed for inactivity."}.get(kind, kind.replace("_", " ").capitalize() + ".")


def thread(session: Session, *, actor: Actor, ticket_id: int) -> list[dict]:
    """Comments, internal notes and status changes, oldest first, times in the account's zone.
    Each row: kind ("comment", "note", "status"), who, body, at."""
    ticket, account = _ticket(session, actor, ticket_id)
    tz = account.time_zone
    rows = []
    for c in session.exec(select(TicketComment).where(TicketComment.ticket_id == ticket.id)):
        rows.append((c.at, 1, c.id, {"kind": "comment", "who": str(c.author), "body": c.body}))
    user_ids = set()
    notes = list(session.exec(select(TicketNote).where(TicketNote.ticket_id == ticket.id)))
    events = list(session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)))
    user_ids |= {n.author_user_id for n in notes if n.author_user_id}
    user_ids |= {e.detail.get("user_id") for e in events if e.kind == "assigned" and e.detail.get("user_id")}
    names = {u.id: u.name for u in session.exec(select(User).where(User.id.in_(list(user_ids) or [-1])))}
    for n in notes:
        rows.append((n.at, 2, n.id, {"kind": "note", "who": names.get(n.author_user_id, "a user"), "body": n.body}))
    for e in events:
        words = _event_words(e.kind, str(e.actor), e.detail or {}, names)
        if words:
            rows.append((e.at, 0, e.id, {"kind": "status", "who": str(e.actor), "body": words}))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [{**row, "at": local_text(at, tz)} for at, _, _, row in rows]


# --- assignment ------------------------------------------------------------------------------

def assignable(session: Session, *, actor: Actor, ticket_id: int) -> list[dict]:
    """The active users of the ticket's master account who may work tickets."""
    ticket, account = _ticket(session, actor, ticket_id)
    users = session.exec(select(User).where(User.master_account_id == account.master_account_id,
                                            User.active.is_(True)).order_by(User.name)).all()
    holders = {r.user_id for r in session.exec(select(UserRole).where(UserRole.role == Role.MANAGE_TICKETS))}
    return [{"id": u.id, "name": u.name} for u in users if u.is_owner or u.id in holders]


def assign(session: Session, *, now: datetime, actor: Actor, ticket_id: int, user_id: int | None) -> Ticket:
    """Give the ticket to a clerk (None: to nobody); shown in the thread."""
    ticket, account = _ticket(session, actor, ticket_id)
    if user_id is not None and user_id not in {u["id"] for u in assignable(session, actor=actor, ticket_id=ticket_id)}:
        raise Invalid("assign the ticket to an active user of this account with the Manage Tickets role",
                      "invalid_assignee")
    if ticket.assignee_user_id == user_id:
        return ticket
    before = ticket.assignee_user_id
    if session.execute(update(Ticket).where(Ticket.id == ticket.id, (Ticket.assignee_user_id.is_(None) if before is None
                                                                     else Ticket.assignee_user_id == before))
                       .values(assignee_user_id=user_id)).rowcount != 1:
        raise Conflict("someone else assigned this ticket meanwhile; reload it", "ticket_conflict")
    session.refresh(ticket)
    session.add(TicketEvent(ticket_id=ticket.id, kind="assigned", actor=tickets.acting_for(actor).party,
                            at=now, detail={"user_id": user_id}))
    audit.record(session, now=now, actor=actor, action="ticket.assigned", entity="ticket", entity_id=ticket.id,
                 account_id=account.id, user_id=user_id)
    return ticket


# --- canned replies (per vendor account) -------------------------------------------------------

def canned_replies(session: Session, *, actor: Actor, account: str) -> list[dict]:
    vendor = _canned_account(session, actor, account)
    rows = session.exec(select(CannedReply).where(CannedReply.account_id == vendor.id).order_by(CannedReply.title))
    return [{"id": r.id, "title": r.title, "body": r.body} for r in rows]


def _canned_account(session: Session, actor: Actor, nickname: str) -> VendorAccount:
    vendor = visible_account(session, actor, nickname)
    if not actor.is_staff:
        actor.require(Role.MANAGE_TICKETS)
    return vendor


def save_canned_reply(session: Session, *, now: datetime, actor: Actor, account: str, title: str, body: str,
                      reply_id: int | None = None) -> CannedReply:
    """Create (no reply_id) or edit a canned reply of the account; titles are unique per account."""
    vendor = _canned_account(session, actor, account)
    title = input_policy.line(title or "", "title", 80, 1)
    text = input_policy.text(body or "", "reply", 10_000)
    if not text:
        raise Invalid("a canned reply needs some text", "empty_reply")
    clash = session.exec(select(CannedReply.id).where(CannedReply.account_id == vendor.id,
                                                      CannedReply.title == title)).first()
    if clash is not None and clash != reply_id:
        raise Conflict(f"a canned reply titled {title!r} exists", "already_exists") from None
    if reply_id is None:
        count = len(session.exec(select(CannedReply.id).where(CannedReply.account_id == vendor.id)).all())
        if count >= MAX_CANNED:
            raise Conflict(f"an account keeps at most {MAX_CANNED} canned replies", "canned_limit")
        row = CannedReply(account_id=vendor.id, title=title, body=text, updated_at=now)
    else:
        row = session.get(CannedReply, reply_id)
        if row is None or row.account_id != vendor.id:
            raise NotFound("no such canned reply", "canned_reply_not_found")
        row.title, row.body, row.updated_at = title, text, now
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:          # the same title saved a moment ago by someone else
        if row in session.new:
            session.expunge(row)
        else:
            session.expire(row)
        raise Conflict(f"a canned reply titled {title!r} exists", "already_exists") from None
    audit.record(session, now=now, actor=actor, action="canned_reply.save", entity="canned_reply", entity_id=row.id,
                 account_id=vendor.id)
    return row
