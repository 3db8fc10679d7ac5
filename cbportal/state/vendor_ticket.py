"""The vendor's ticket page: the ticket with its thread, customer panel and assignee,
live like the dashboard (live_feed.follow: a customer's reply or the worker processing it
shows at once); reply, close, change type and cancel the vendor's own request. The
help-desk tools are its substate (ticket_desk.py). Every handler re-checks the session
user, the account and the Manage Tickets role in the services."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.models import VendorAccount
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.tickets import desk as ticket_desk
from cbportal.services.tickets import lifecycle as tickets
from cbportal.state import live_feed
from cbportal.state.base import PageState
from cbportal.state.session import sentence
from cbportal.state.ticket_rows import CommentRow, ContextRow, DeskThreadRow, desk_fields, ticket_fields


class VendorTicketState(live_feed.LivePage, PageState):
    """The ticket page is live too: a customer's reply or the worker processing it shows at once."""
    ticket_id: int = 0
    found: bool = False
    notice: str = ""
    receipt: str = ""
    type: str = ""
    status: str = ""
    process_at: str = ""
    process_why: str = ""
    refund_status: str = ""
    close_reason: str = ""
    opened_by: str = ""
    comments: list[CommentRow] = []
    # issue 16: the help-desk side (services/tickets/desk.py)
    thread_rows: list[DeskThreadRow] = []
    customer: dict[str, str] = {}
    other_orders: list[ContextRow] = []
    other_tickets: list[ContextRow] = []
    own_request: bool = False          # the vendor's own 5-minute request: cancel it without consent
    consent: bool = False              # the one "the customer agreed" control for close and change
    assignee: str = ""                 # user id as text, "" nobody
    assignees: list[dict[str, str]] = []
    account: str = ""

    def _show_ticket(self, view: dict) -> None:
        for name, value in ticket_fields(view).items():
            setattr(self, name, value)
        self.opened_by = view["opened_by"]

    def _show_desk(self, session, actor, ticket) -> None:
        """The thread with notes and status history, the customer panel and the assignee."""
        fields = desk_fields(ticket_desk.thread(session, actor=actor, ticket_id=ticket.id),
                             ticket_desk.context(session, actor=actor, ticket_id=ticket.id, now=get_clock().now()),
                             ticket_desk.assignable(session, actor=actor, ticket_id=ticket.id))
        for name, value in fields.items():
            setattr(self, name, value)
        self.own_request = tickets.vendor_own_request(ticket, tickets.acting_for(actor))
        self.assignee = str(ticket.assignee_user_id or "")
        self.account = session.get(VendorAccount, ticket.account_id).nickname

    @rx.event
    def load(self):
        try:
            self.ticket_id = int(self.router.url.query_parameters.get("id", "0"))
        except ValueError:
            self.ticket_id = 0
        actor, leave = self._enter(routes.VENDOR_TICKET, back=routes.vendor_ticket(self.ticket_id))
        if actor is None:
            return leave
        self.error, self.notice, self.found = "", "", False
        try:
            self._reload(actor)
        except ServiceError as error:
            self.error = sentence(error)
            return
        return self._follow()

    def _reload(self, actor) -> None:
        with reader(get_engine()) as session:
            ticket = tickets.vendor_ticket(session, actor=actor, ticket_id=self.ticket_id)
            self._show_ticket(tickets.ticket_view(session, ticket))
            self._show_desk(session, actor, ticket)
            self._account_ids = [ticket.account_id]

    def _live_refresh(self, actor) -> None:
        self._reload(actor)

    def _act(self, action, done: str):
        self.error, self.notice = "", ""
        actor, leave = self._or_sign_in()
        if actor is None:
            return leave
        who = tickets.acting_for(actor)
        try:
            with session_scope() as session:
                ticket = tickets.vendor_ticket(session, actor=actor, ticket_id=self.ticket_id)
                action(session, ticket, who, get_clock().now())
                session.flush()
                self._show_ticket(tickets.ticket_view(session, ticket))
                self._show_desk(session, actor, ticket)
            self.notice, self.consent = done, False
        except ServiceError as error:
            self.error = sentence(error)

    @rx.event
    def reply(self, form: dict):
        body = str(form.get("body", ""))
        return self._act(lambda s, t, who, now: tickets.reply(s, now=now, ticket=t, who=who, body=body),
                         "Your reply was sent to the customer.")

    @rx.event
    def set_consent(self, value: bool):
        self.consent = bool(value)

    @rx.event
    def close(self, form: dict):
        consent = self.consent or bool(form.get("consent"))
        return self._act(lambda s, t, who, now: tickets.close(s, now=now, ticket=t, who=who, customer_consent=consent),
                         "The ticket is closed.")

    @rx.event
    def cancel_own_request(self):
        """The vendor's own refund or cancel request, closed before it processes (no consent, R3)."""
        return self._act(lambda s, t, who, now: tickets.close(s, now=now, ticket=t, who=who),
                         "Your request is canceled: nothing will be refunded or canceled.")

    @rx.event
    def change_type(self, form: dict):
        consent, new_type = self.consent or bool(form.get("consent")), str(form.get("type", ""))
        return self._act(lambda s, t, who, now: tickets.change_type(s, now=now, ticket=t, who=who, type=new_type,
                                                                    customer_consent=consent),
                         "The ticket was changed.")
