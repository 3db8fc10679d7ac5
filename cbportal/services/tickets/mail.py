"""Ticket email (RULES R4): one message per kind to both the customer and the vendor
(customer-service address, else account address), laid out as R4 says, written to the
outbox in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import pendulum
from sqlmodel import Session, select

from cbportal.models import Customer, Order, Ticket, TicketComment, VendorAccount
from cbportal.services.billing import preload
from cbportal.services.billing.orders import order_view
from cbportal.services.core.money import format_cents
from cbportal.services.delivery import links, mail, mail_addresses

WHY = {
    "ticket_opened": "A {type} ticket was opened on order {receipt}.",
    "reply": "There is a new reply on your ticket about order {receipt}.",
    "ticket_changed": "The ticket on order {receipt} was changed: it is now a {type} ticket.",
    "ticket_closed": "The ticket on order {receipt} was closed.",
    "inactivity_warning": ("Nothing has happened on this ticket for a while. Please reply, or close it if no help "
                           "is needed any more. Customer: if you are not getting the help you need, you can turn "
                           "this ticket into a refund request."),
    "refund_confirmation": "Your refund for order {receipt} has been processed.",
    "cancel_confirmation": "The subscription of order {receipt} has been canceled; no further bills will be charged.",
}
TYPE_LABEL = {"tech_support": "technical support", "refund": "refund", "cancel": "cancelation"}


def _when(instant: datetime | None, tz: str | None) -> str:
    if instant is None:
        return ""
    zone = tz or "UTC"
    return pendulum.instance(instant).in_timezone(zone).format("ddd D MMM YYYY HH:mm") + f" ({zone})"


def subject_words(why: str, limit: int = 100) -> str:
    """The first sentence of `why`, cut at a word (never mid-word) with an ellipsis when long."""
    first = why.split(". ")[0].rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def send(session: Session, *, now: datetime, kind: str, ticket: Ticket, extra: str = "") -> None:
    """Write `kind` about `ticket` to both parties (R4), in the caller's transaction. A
    customer's own reply is not mailed back to them (issue 15): only the vendor hears of it."""
    messages = compose(session, kind=kind, ticket=ticket, extra=extra)
    if kind == "reply" and _last_author(session, ticket) == "customer":
        messages = messages[1:]                      # [customer copy, vendor copy]
    for message in messages:
        mail.queue(session, now=now, kind=kind, template="ticket", account_id=ticket.account_id,
                   order_id=ticket.order_id, ticket_id=ticket.id, **message)


def _last_author(session: Session, ticket: Ticket) -> str:
    last = session.exec(select(TicketComment).where(TicketComment.ticket_id == ticket.id)
                        .order_by(TicketComment.at.desc(), TicketComment.id.desc())).first()
    return str(last.author) if last else ""


def compose(session: Session, *, kind: str, ticket: Ticket, extra: str = "") -> list[dict]:
    """The two messages (customer, vendor) of `kind`: `to`, `subject` and template context."""
    from cbportal.settings import get_settings

    settings = get_settings()
    order = session.get(Order, ticket.order_id)
    account = session.get(VendorAccount, ticket.account_id)
    customer = session.get(Customer, order.customer_id)
    view = order_view(session, order)
    comments = preload.remembered(session, "comments", ticket.id)     # a batch's, else read
    if comments is preload.MISSING:
        comments = list(session.exec(select(TicketComment).where(TicketComment.ticket_id == ticket.id)
                                     .order_by(TicketComment.at, TicketComment.id)))
    why = WHY[kind].format(type=TYPE_LABEL[str(ticket.type)], receipt=order.receipt) + (f" {extra}" if extra else "")
    recipients = [
        (customer.email, customer.time_zone,
         links.customer_ticket_url(settings.base_url, settings.secret, ticket.id, customer.email), "customer"),
        (account.ticket_email, account.time_zone, links.vendor_ticket_url(settings.base_url, ticket.id), "vendor"),
    ]
    messages = []
    for to, tz, link, party in recipients:
        # With inbound mail set up, answering the email adds a comment (docs/inbound-email.md).
        reply_to = (mail_addresses.ticket_address(settings.secret, settings.mail_in_domain, ticket.id, party)
                    if settings.mail_in_domain else None)
        history = [{"author": str(c.author), "at": _when(c.at, tz), "body": c.body} for c in comments]
        context = {
            "why": why, "recent": history[-1:] if kind in ("reply", "ticket_opened") else [], "link": link,
            "history": history,
            "ticket": {"id": ticket.id, "type_label": TYPE_LABEL[str(ticket.type)], "status": str(ticket.status),
                       "close_reason": str(ticket.close_reason) if ticket.close_reason else "",
                       "opened_at": _when(ticket.opened_at, tz), "process_at": _when(ticket.process_at, tz)},
            "order": {**view, "bills": [{"seq": b["seq"], "kind": b["kind"], "date": b["scheduled_date"],
                                         "amount": format_cents(b["amount_cents"], view["currency"]),
                                         "status": b["status"]} for b in view["bills"]]},
        }
        context["reply_hint"] = bool(reply_to)
        messages.append({"to": to, "subject": f"[Ticket #{ticket.id}] {subject_words(why)}", "reply_to": reply_to,
                         **context})
    return messages


def samples(session: Session) -> list[dict]:
    """One rendered vendor copy of every ticket email kind, from a real ticket (staff gallery)."""
    ticket = session.exec(select(Ticket).join(TicketComment, TicketComment.ticket_id == Ticket.id)
                          .order_by(Ticket.id)).first()
    if ticket is None:
        return []
    out = []
    for kind in WHY:
        message = compose(session, kind=kind, ticket=ticket)[1]
        text, html = mail.render("ticket", **{k: v for k, v in message.items()
                                               if k not in ("to", "subject", "reply_to")})
        out.append({"kind": kind, "subject": message["subject"], "html": html, "text": text})
    return out
