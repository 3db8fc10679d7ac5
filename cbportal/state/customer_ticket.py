"""Customer ticket page: reached by the signed link from an email (or from the portal
after a receipt + email lookup). Every handler re-checks the signature."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal.db import get_engine, reader, session_scope
from cbportal.services import links, tickets
from cbportal.services.clock import get_clock
from cbportal.services.errors import ServiceError
from cbportal.settings import get_settings


class CommentRow(TypedDict):
    author: str
    body: str
    at: str


def ticket_fields(view: dict) -> dict:
    """The page-state fields both ticket pages show, from `tickets.ticket_view`."""
    return {"found": True, "type": view["type"], "status": view["status"], "receipt": view["receipt"],
            "process_at": view["process_at"] or "", "process_why": view["process_why"] or "",
            "refund_status": view["refund_status"] or "",
            "close_reason": view["close_reason"] or "",
            "comments": [CommentRow(author=c["author"], body=c["body"], at=c["at"][:16].replace("T", " "))
                         for c in view["comments"]]}


class CustomerTicketState(rx.State):
    ticket_id: int = 0
    email: str = ""
    sig: str = ""
    error: str = ""
    notice: str = ""
    found: bool = False
    type: str = ""
    status: str = ""
    receipt: str = ""
    process_at: str = ""
    process_why: str = ""
    refund_status: str = ""
    close_reason: str = ""
    can_escalate: bool = False
    escalated: bool = False
    comments: list[CommentRow] = []

    def _verified_ticket(self, session):
        if not links.check_ticket_signature(get_settings().secret, self.ticket_id, self.email, self.sig):
            raise ServiceError("this link is not valid; open the ticket from your email again", "bad_link")
        return tickets.customer_ticket(session, ticket_id=self.ticket_id, email=self.email)

    def _show(self, view: dict) -> None:
        for name, value in ticket_fields(view).items():
            setattr(self, name, value)
        self.escalated = view["escalated"]
        self.can_escalate = view["vendor_closed_or_changed"] and view["escalation"] != "pending"

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        self.error, self.notice, self.found = "", "", False
        try:
            self.ticket_id = int(params.get("id", "0"))
        except ValueError:
            self.ticket_id = 0
        self.email, self.sig = params.get("email", ""), params.get("sig", "")
        try:
            with reader(get_engine()) as session:
                self._show(tickets.ticket_view(session, self._verified_ticket(session)))
        except ServiceError as error:
            self.error = error.message

    def _act(self, action, done: str):
        self.error, self.notice = "", ""
        try:
            with session_scope() as session:
                ticket = self._verified_ticket(session)
                action(session, ticket, get_clock().now())
                session.flush()
                self._show(tickets.ticket_view(session, ticket))
            self.notice = done
        except ServiceError as error:
            self.error = error.message

    @rx.event
    def reply(self, form: dict):
        body = str(form.get("body", ""))
        self._act(lambda s, t, now: tickets.reply(s, now=now, ticket=t, who=tickets.CUSTOMER, body=body),
                  "Your reply was sent.")

    @rx.event
    def close(self):
        self._act(lambda s, t, now: tickets.close(s, now=now, ticket=t, who=tickets.CUSTOMER), "The ticket is closed.")

    @rx.event
    def change_type(self, new_type: str):
        self._act(lambda s, t, now: tickets.change_type(s, now=now, ticket=t, who=tickets.CUSTOMER, type=new_type),
                  "The ticket was changed.")

    @rx.event
    def escalate(self, form: dict):
        comment = str(form.get("comment", ""))
        self._act(lambda s, t, now: tickets.escalate(s, now=now, ticket=t, comment=comment),
                  "Platform staff will review this ticket.")
