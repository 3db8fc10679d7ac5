"""The staff email gallery (RULES R4; issue 16 point 6): one rendered vendor copy of every
ticket email kind, each from a real ticket whose state is the one that email is sent in,
so no sample contradicts itself (a "closed" email shows a closed ticket, a refund
confirmation a processed refund whose bill is refunded). A kind with no such ticket yet
says so instead of rendering from an unfitting one. Nothing is written. Staff only."""

from __future__ import annotations

from sqlalchemy import exists
from sqlmodel import Session, select

from cbportal.models import (
    Bill,
    BillStatus,
    CloseReason,
    Party,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketStatus,
    TicketType,
)
from cbportal.services.accounts.auth import Actor
from cbportal.services.delivery import mail
from cbportal.services.tickets import mail as ticket_mail

_open = Ticket.status == TicketStatus.OPEN
_has_comment = exists().where(TicketComment.ticket_id == Ticket.id)
_processed = (Ticket.status == TicketStatus.CLOSED) & (Ticket.close_reason == CloseReason.PROCESSED)

# kind -> (the state that email is sent in, in words; what the ticket must satisfy)
FITS = {
    "ticket_opened": ("an open ticket", [_open]),
    "reply": ("an open ticket with a reply after the first message",
              [_open, select(TicketComment.id).where(TicketComment.ticket_id == Ticket.id)
               .where(TicketComment.author != Party.SYSTEM).offset(1).limit(1).exists()]),
    "ticket_changed": ("an open ticket whose type was changed",
                       [_open, exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "type_changed")]),
    "ticket_closed": ("a ticket closed by the customer or the vendor",
                      [Ticket.status == TicketStatus.CLOSED,
                       Ticket.close_reason.in_([CloseReason.CUSTOMER, CloseReason.VENDOR])]),
    "inactivity_warning": ("an open technical-support ticket", [_open, Ticket.type == TicketType.TECH_SUPPORT]),
    "refund_confirmation": ("a processed refund whose bill is refunded",
                            [_processed, Ticket.type == TicketType.REFUND,
                             exists().where(Bill.id == Ticket.target_bill_id, Bill.status == BillStatus.REFUNDED)]),
    "cancel_confirmation": ("a processed cancelation", [_processed, Ticket.type == TicketType.CANCEL]),
}


def example(session: Session, kind: str) -> Ticket | None:
    """The oldest ticket in the state `kind` is sent in, with at least one message."""
    return session.exec(select(Ticket).where(_has_comment, *FITS[kind][1]).order_by(Ticket.id)).first()


def samples(session: Session, *, actor: Actor) -> list[dict]:
    actor.require_staff()
    out = []
    for kind in ticket_mail.WHY:
        ticket = example(session, kind)
        if ticket is None:
            out.append({"kind": kind, "subject": "", "html": "", "text": "",
                        "source": f"No ticket is {FITS[kind][0]} yet, so there is nothing true to show."})
            continue
        message = ticket_mail.compose(session, kind=kind, ticket=ticket)[1]
        text, html = mail.render("ticket", **{k: v for k, v in message.items() if k not in ("to", "subject")})
        state = f"{ticket.status}" + (f", {str(ticket.close_reason).replace('_', ' ')}" if ticket.close_reason else "")
        out.append({"kind": kind, "subject": message["subject"], "html": html, "text": text,
                    "source": f"From ticket #{ticket.id} ({ticket_mail.TYPE_LABEL[str(ticket.type)]}, {state})."})
    return out
