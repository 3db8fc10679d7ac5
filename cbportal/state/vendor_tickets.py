"""The vendor's ticket list, live like the dashboard (live_feed.follow), with the status
filter and the form opening a vendor-requested refund or cancel. The ticket page itself is
vendor_ticket.py. Every handler re-checks the session user, the account and the Manage
Tickets role in the services."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.models import Role
from cbportal.services.accounts import dashboard
from cbportal.services.accounts.accounts import accounts_of
from cbportal.services.billing import orders
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.tickets import lifecycle as tickets
from cbportal.state import live_feed
from cbportal.state.base import PageState
from cbportal.state.session import sentence
from cbportal.state.ticket_rows import TicketRow


class VendorTicketsState(live_feed.LivePage, PageState):
    """The ticket list, live like the dashboard (live_feed.follow)."""
    rows: list[TicketRow] = []
    status_filter: str = "open"
    loaded: bool = False
    new_type: str = "refund"
    prefill_receipt: str = ""

    def _refresh(self, actor) -> None:
        with reader(get_engine()) as session:
            self.rows = [TicketRow(**r) for r in dashboard.ticket_list(session, actor=actor, status=self.status_filter)]
            self._account_ids = [a.id for a in accounts_of(session, actor)]

    def _live_refresh(self, actor) -> None:
        self._refresh(actor)

    @rx.event
    def load(self):
        actor, leave = self._enter(routes.VENDOR_TICKETS)
        if actor is None:
            return leave
        self.prefill_receipt = self.router.url.query_parameters.get("receipt", "")[:32]
        try:
            self._refresh(actor)
        except ServiceError as error:
            self.error = sentence(error)
            self.loaded = True
            return
        self.loaded = True
        return self._follow()

    @rx.event
    def set_filter(self, value: str | list[str]):
        value = value[0] if isinstance(value, list) and value else value
        if value not in ("open", "closed", "all"):
            return
        actor = self._require()
        if actor is None:
            return
        self.status_filter = value
        try:
            self._refresh(actor)
        except ServiceError as error:
            self.rows, self.error = [], sentence(error)

    @rx.event
    def choose_new_type(self, value: str):
        if value in ("refund", "cancel"):
            self.new_type = value

    @rx.event
    def open_ticket(self, form: dict):
        """A vendor-requested refund or cancel: processes in 5 minutes (R3)."""
        self.error = ""
        actor, leave = self._or_sign_in(lambda a: not a.is_staff)
        if actor is None:
            return leave
        try:
            with session_scope() as session:
                order = orders.vendor_order(session, actor=actor, receipt=str(form.get("receipt", "")),
                                            role=Role.MANAGE_TICKETS)
                ticket = tickets.open_ticket(session, now=get_clock().now(), order=order, type=self.new_type,
                                             who=tickets.acting_for(actor), opener=tickets.opener_for(actor),
                                             reason=str(form.get("reason") or "customer_request"),
                                             comment=str(form.get("comment", "")))
                session.flush()
                ticket_id = ticket.id
        except ServiceError as error:
            self.error = sentence(error)
            return
        return rx.redirect(routes.vendor_ticket(ticket_id))
