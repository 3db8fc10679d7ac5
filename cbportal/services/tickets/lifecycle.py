"""The ticket lifecycle (RULES R3): open, reply, close, change type, escalate, staff
review and the abuse flag. Every transition is compare-and-set on the ticket row and
writes its ticket events, audit row and outbox emails in the caller's transaction.

Every change goes through `states.transition` (the R3 table in states.py). Who acts is
an `Acting` (acting.py: a `Party` plus, for people with logins, their `Actor`); routes
and pages check the customer's receipt + email or signed link, and
the vendor's account and Manage Tickets role, before calling in here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cbportal.models import (
    Bill,
    BillStatus,
    CloseReason,
    EscalationStatus,
    Opener,
    Order,
    Party,
    Product,
    ProductKind,
    Role,
    Subscription,
    SubscriptionStatus,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketStatus,
    TicketType,
    VendorAccount,
)
from cbportal.services.accounts import business_calendars
from cbportal.services.accounts.auth import Actor
from cbportal.services.core import audit, input_policy
from cbportal.services.core.errors import Conflict, Invalid, NotFound
from cbportal.services.tickets import mail as ticket_mail
from cbportal.services.tickets import states
from cbportal.services.tickets.acting import CUSTOMER, SYSTEM, Acting, acting_for, opener_for, opening_as  # noqa: F401
from cbportal.services.tickets.states import Event
from cbportal.services.tickets.timers import inactivity_step, process_at

REASONS = ("customer_request", "not_as_described", "technical_issue", "duplicate_purchase", "other")
CUSTOMER_WINDOW = timedelta(days=60)
VENDOR_WINDOW = timedelta(days=90)
MAX_COMMENT = 10_000


def _type(value: str) -> TicketType:
    try:
        return TicketType(value)
    except ValueError:
        raise Invalid("choose technical support, a refund or a cancelation", "invalid_type") from None


def _body(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_COMMENT:
        raise Invalid(f"a comment is at most {MAX_COMMENT} characters", "comment_too_long")
    return text or None


def refund_target(session: Session, order: Order, *, now: datetime, window: timedelta) -> Bill | None:
    """The latest paid, unrefunded bill paid within `window` before now (R3)."""
    return session.exec(select(Bill).where(Bill.order_id == order.id, Bill.status == BillStatus.PAID,
                                           Bill.refunded_cents < Bill.amount_cents, Bill.paid_at >= now - window)
                        .order_by(Bill.seq.desc())).first()


def _subscription(session: Session, order: Order) -> Subscription | None:
    return session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()


def _check_eligible(session: Session, order: Order, kind: TicketType, *, now: datetime,
                    window: timedelta) -> Bill | None:
    if kind is TicketType.REFUND:
        bill = refund_target(session, order, now=now, window=window)
        if bill is None:
            days = window.days
            raise Conflict(f"there is no paid bill from the last {days} days left to refund", "outside_refund_window")
        return bill
    if kind is TicketType.CANCEL:
        sub = _subscription(session, order)
        if sub is None or sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING):
            raise Conflict("this order has no active subscription to cancel", "no_active_subscription")
    return None


def _set_timers(session: Session, ticket: Ticket, *, now: datetime, account: VendorAccount, product: Product,
                by_vendor: bool) -> str:
    """Set process_at (refund/cancel) or the inactivity step (tech support) in the vendor's
    business calendar (R2 zone, holidays, closed dates); returns the explanation."""
    calendar = business_calendars.for_account(session, account)
    if ticket.type == TicketType.TECH_SUPPORT:
        ticket.process_at = None
        ticket.inactivity_warnings = 0
        _, ticket.inactivity_at = inactivity_step(last_actor=ticket.last_actor, last_action_at=ticket.last_action_at,
                                                  warnings_sent=0, tz=calendar)
        return ""
    ticket.inactivity_at = None
    ticket.process_at, why = process_at(at=now, by_vendor=by_vendor, physical=product.kind == ProductKind.PHYSICAL,
                                        vendor_flagged=account.abuse_flagged, tz=calendar, kind=str(ticket.type))
    return why


def _event(session: Session, ticket: Ticket, kind: str, who: Acting, now: datetime, **detail) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, kind=kind, actor=who.party, at=now, detail=detail))
    audit.record(session, now=now, actor=who.actor or who.label, action=f"ticket.{kind}", entity="ticket",
                 entity_id=ticket.id, account_id=ticket.account_id, **detail)


def _comment(session: Session, ticket: Ticket, who: Acting, body: str | None, now: datetime) -> None:
    body = input_policy.text(body or "", "comment", 10_000)   # NUL-free, trimmed, bounded (pages and API)
    if body:
        session.add(TicketComment(ticket_id=ticket.id, author=who.party, author_user_id=who.user_id, body=body, at=now))


def open_ticket(session: Session, *, now: datetime, order: Order, type: str, who: Acting, opener: Opener,
                reason: str | None = None, comment: str | None = None) -> Ticket:
    """Open a ticket on an order (R3): one open ticket per order, eligibility, timers, emails."""
    kind = _type(type)
    body = _body(comment)
    if reason is not None and reason not in REASONS:
        raise Invalid(f"reason is one of {', '.join(REASONS)}", "invalid_reason")
    existing = session.exec(select(Ticket).where(Ticket.order_id == order.id,
                                                 Ticket.status == TicketStatus.OPEN)).first()
    if existing:
        raise Conflict(f"ticket #{existing.id} is already open on this order", "ticket_already_open")
    states.step(states.State.NEW, Event.OPEN, states.who_of(who.party))
    by_vendor = who.party == Party.VENDOR
    bill = _check_eligible(session, order, kind, now=now, window=VENDOR_WINDOW if by_vendor else CUSTOMER_WINDOW)
    account = session.get(VendorAccount, order.account_id)
    product = session.get(Product, order.product_id)
    ticket = Ticket(order_id=order.id, account_id=order.account_id, type=kind, opened_by=opener,
                    opened_by_user_id=who.user_id, opened_at=now,
                    reason=reason or ("customer_request" if by_vendor else None),
                    target_bill_id=bill.id if bill else None,
                    last_actor=Party.VENDOR if by_vendor else Party.CUSTOMER, last_action_at=now)
    why = _set_timers(session, ticket, now=now, account=account, product=product, by_vendor=by_vendor)
    session.add(ticket)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent open won the one-open-ticket index
        raise Conflict("a ticket is already open on this order", "ticket_already_open") from None
    _comment(session, ticket, who, body, now)
    _event(session, ticket, "opened", who, now, type=kind.value, opener=opener.value,
           process_at=ticket.process_at.isoformat() if ticket.process_at else None, why=why)
    session.flush()
    ticket_mail.send(session, now=now, kind="ticket_opened", ticket=ticket)
    return ticket


def order_tickets(session: Session, order: Order) -> list[Ticket]:
    return list(session.exec(select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id.desc())))


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if not ticket:
        raise NotFound(f"no ticket #{ticket_id}", "ticket_not_found")
    return ticket


def vendor_ticket(session: Session, *, actor: Actor, ticket_id: int) -> Ticket:
    """A ticket of the actor's accounts (Manage Tickets), else 404 / 403."""
    ticket = session.get(Ticket, ticket_id)
    account = session.get(VendorAccount, ticket.account_id) if ticket else None
    if not ticket or not actor.can_see_account(account):
        raise NotFound(f"no ticket #{ticket_id}", "ticket_not_found")
    if not actor.is_staff:
        actor.require(Role.MANAGE_TICKETS)
    return ticket


def customer_ticket(session: Session, *, ticket_id: int, email: str) -> Ticket:
    """A ticket whose order belongs to this email; the same 404 otherwise."""
    from cbportal.models import Customer

    ticket = session.get(Ticket, ticket_id)
    if ticket:
        order = session.get(Order, ticket.order_id)
        customer = session.get(Customer, order.customer_id)
        if customer.email.lower() == (email or "").strip().lower():
            return ticket
    raise NotFound(f"no ticket #{ticket_id} for that email", "ticket_not_found")


VENDOR_OPENERS = (Opener.VENDOR, Opener.CLERK, Opener.API)


def vendor_own_request(ticket: Ticket, who: Acting) -> bool:
    """The vendor's own refund or cancel request (the 5-minute one, R3): the seed lets the vendor
    close it "in case you mistakenly created the ticket", so no customer consent is asked and
    closing it does not make it escalatable (issue 16)."""
    return (who.party == Party.VENDOR and ticket.opened_by in VENDOR_OPENERS
            and ticket.type in (TicketType.REFUND, TicketType.CANCEL))


def _who(session: Session, ticket: Ticket, who: Acting, consent: bool = True) -> states.Who:
    """The state table's `who`: a vendor's flag and consent decide which vendor it is (R3)."""
    if who.party != Party.VENDOR:
        return states.who_of(who.party)
    account = session.get(VendorAccount, ticket.account_id)
    return states.who_of(who.party, flagged=account.abuse_flagged, consent=consent, ticket_type=ticket.type)


def _allowed(session: Session, ticket: Ticket, event: Event, who: Acting, now: datetime,
             consent: bool = True) -> states.Who:
    """Refuse early (before any other check) what the R3 table does not allow."""
    table_who = _who(session, ticket, who, consent)
    states.step(states.state_of(ticket, now), event, table_who, ticket.id)
    return table_who


def _touch(ticket: Ticket, party: Party, now: datetime, tz) -> dict:
    values = {"last_action_at": now}
    if party in (Party.CUSTOMER, Party.VENDOR):
        values["last_actor"] = party
    if ticket.type == TicketType.TECH_SUPPORT:
        values["inactivity_warnings"] = 0
        values["inactivity_at"] = inactivity_step(last_actor=values.get("last_actor", ticket.last_actor),
                                                  last_action_at=now, warnings_sent=0, tz=tz)[1]
    return values


def reply(session: Session, *, now: datetime, ticket: Ticket, who: Acting, body: str) -> Ticket:
    text = _body(body)
    if not text:
        raise Invalid("a reply needs some text", "empty_comment")
    table_who = _allowed(session, ticket, Event.REPLY, who, now)
    account = session.get(VendorAccount, ticket.account_id)
    states.transition(session, ticket, Event.REPLY, table_who, now=now,
                      values=_touch(ticket, who.party, now, business_calendars.for_account(session, account)))
    _comment(session, ticket, who, text, now)
    _event(session, ticket, "reply", who, now)
    session.flush()
    ticket_mail.send(session, now=now, kind="reply", ticket=ticket)
    return ticket


def close(session: Session, *, now: datetime, ticket: Ticket, who: Acting, customer_consent: bool = False,
          comment: str | None = None) -> Ticket:
    own = vendor_own_request(ticket, who)
    table_who = _allowed(session, ticket, Event.CLOSE, who, now, consent=customer_consent or own)
    reason = {Party.CUSTOMER: CloseReason.CUSTOMER, Party.VENDOR: CloseReason.VENDOR}.get(who.party, CloseReason.STAFF)
    values = {"closed_at": now, "close_reason": reason, "process_at": None,
              "inactivity_at": None, "last_action_at": now}
    if who.party == Party.VENDOR and not own:
        values["vendor_closed_or_changed"] = True
    states.transition(session, ticket, Event.CLOSE, table_who, now=now, values=values)
    _comment(session, ticket, who, _body(comment), now)
    _event(session, ticket, "closed", who, now, reason=reason.value, customer_consent=customer_consent,
           own_request=own)
    session.flush()
    ticket_mail.send(session, now=now, kind="ticket_closed", ticket=ticket)
    return ticket


def change_type(session: Session, *, now: datetime, ticket: Ticket, who: Acting, type: str,
                customer_consent: bool = False) -> Ticket:
    kind = _type(type)
    if kind == ticket.type and states.state_of(ticket, now) is states.State.OPEN:
        raise Conflict(f"ticket #{ticket.id} is already a {kind.value} ticket", "same_type")
    table_who = _allowed(session, ticket, Event.CHANGE_TYPE, who, now, consent=customer_consent)
    order = session.get(Order, ticket.order_id)
    by_vendor = who.party == Party.VENDOR
    bill = _check_eligible(session, order, kind, now=now, window=VENDOR_WINDOW if by_vendor else CUSTOMER_WINDOW)
    account = session.get(VendorAccount, ticket.account_id)
    product = session.get(Product, order.product_id)
    draft = Ticket(type=kind, last_actor=Party.VENDOR if by_vendor else (
        Party.CUSTOMER if who.party == Party.CUSTOMER else ticket.last_actor), last_action_at=now)
    why = _set_timers(session, draft, now=now, account=account, product=product, by_vendor=by_vendor)
    values = {"type": kind, "process_at": draft.process_at, "inactivity_at": draft.inactivity_at,
              "inactivity_warnings": 0, "last_actor": draft.last_actor, "last_action_at": now,
              "target_bill_id": bill.id if bill else None}
    if by_vendor:
        values["vendor_closed_or_changed"] = True
    old = ticket.type
    states.transition(session, ticket, Event.CHANGE_TYPE, table_who, now=now, values=values)
    _event(session, ticket, "type_changed", who, now, old=str(old), new=kind.value, customer_consent=customer_consent,
           process_at=ticket.process_at.isoformat() if ticket.process_at else None, why=why)
    session.flush()
    ticket_mail.send(session, now=now, kind="ticket_changed", ticket=ticket)
    return ticket


def escalate(session: Session, *, now: datetime, ticket: Ticket, comment: str) -> Ticket:
    """The customer asks platform staff to review a ticket the vendor closed or changed (R3)."""
    text = _body(comment)
    if not text:
        raise Invalid("tell us what went wrong", "empty_comment")
    states.transition(session, ticket, Event.ESCALATE, states.Who.CUSTOMER, now=now,
                      values={"escalation": EscalationStatus.PENDING, "escalated_at": now})
    _comment(session, ticket, CUSTOMER, text, now)
    _event(session, ticket, "escalated", CUSTOMER, now)
    return ticket


def review(session: Session, *, now: datetime, actor: Actor, ticket: Ticket, decision: str,
           flag_vendor: bool = False, comment: str | None = None) -> Ticket:
    """Staff decide an escalation: 'uphold', or 'refund' (reopen as a refund processing at once)."""
    actor.require_staff()
    who = Acting(Party.STAFF, actor)
    states.step(states.escalation_state_of(ticket), Event.UPHOLD, states.Who.STAFF, ticket.id)
    if decision not in ("uphold", "refund"):
        raise Invalid("decision is uphold or refund", "invalid_decision")
    if flag_vendor:
        flag(session, now=now, actor=actor, account_id=ticket.account_id)
    if decision == "uphold":
        states.transition(session, ticket, Event.UPHOLD, states.Who.STAFF, now=now,
                          values={"escalation": EscalationStatus.UPHELD})
        _comment(session, ticket, who, _body(comment), now)
        _event(session, ticket, "review_upheld", who, now)
        return ticket
    order = session.get(Order, ticket.order_id)
    bill = refund_target(session, order, now=now, window=CUSTOMER_WINDOW)
    if bill is None:
        raise Conflict("there is no paid bill left to refund", "outside_refund_window")
    if ticket.status == TicketStatus.OPEN:
        values = {}
    else:
        other = session.exec(select(Ticket).where(Ticket.order_id == order.id,
                                                  Ticket.status == TicketStatus.OPEN)).first()
        if other:
            raise Conflict(f"ticket #{other.id} is open on this order; decide that one", "ticket_already_open")
        values = {"closed_at": None, "close_reason": None}   # states.transition reopens it
    values.update(type=TicketType.REFUND, process_at=now, inactivity_at=None, target_bill_id=bill.id,
                  escalation=EscalationStatus.REFUNDED, last_action_at=now)
    states.transition(session, ticket, Event.REOPEN_AS_REFUND, states.Who.STAFF, now=now, values=values)
    _comment(session, ticket, who, _body(comment), now)
    _event(session, ticket, "review_refund", who, now)
    session.flush()
    ticket_mail.send(session, now=now, kind="ticket_changed", ticket=ticket)
    return ticket


def flag(session: Session, *, now: datetime, actor: Actor, account_id: int, flagged: bool = True) -> None:
    """Flag a vendor for abuse (R3): its open refund and cancel tickets process at once."""
    actor.require_staff()
    account = session.get(VendorAccount, account_id)
    account.abuse_flagged = flagged
    account.abuse_flagged_at = now if flagged else None
    session.add(account)
    if flagged:
        session.execute(update(Ticket).where(Ticket.account_id == account_id, Ticket.status == TicketStatus.OPEN,
                                             Ticket.type.in_([TicketType.REFUND, TicketType.CANCEL]),
                                             Ticket.process_at > now).values(process_at=now))
    audit.record(session, now=now, actor=actor, action="account.flag" if flagged else "account.unflag",
                 entity="vendor_account", entity_id=account_id, account_id=account_id)


def ticket_view(session: Session, ticket: Ticket) -> dict:
    order = session.get(Order, ticket.order_id)
    comments = session.exec(select(TicketComment).where(TicketComment.ticket_id == ticket.id)
                            .order_by(TicketComment.at, TicketComment.id)).all()
    events = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                          .order_by(TicketEvent.at, TicketEvent.id)).all()
    iso = lambda v: v.isoformat() if v else None  # noqa: E731
    return {
        "id": ticket.id, "receipt": order.receipt, "type": str(ticket.type), "status": str(ticket.status),
        "opened_by": str(ticket.opened_by), "opened_at": iso(ticket.opened_at), "process_at": iso(ticket.process_at),
        "refund_status": str(ticket.refund_status) if ticket.refund_status else None,
        "closed_at": iso(ticket.closed_at), "close_reason": str(ticket.close_reason) if ticket.close_reason else None,
        "escalated": ticket.escalation != EscalationStatus.NONE, "reason": ticket.reason,
        "escalation": str(ticket.escalation), "vendor_closed_or_changed": ticket.vendor_closed_or_changed,
        "process_why": next((e.detail.get("why") for e in reversed(events) if e.detail.get("why")), None)
        if ticket.process_at else None,
        "comments": [{"author": str(c.author), "body": c.body, "at": iso(c.at)} for c in comments],
        "events": [{"kind": e.kind, "at": iso(e.at), "actor": str(e.actor)} for e in events],
    }
