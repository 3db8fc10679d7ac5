"""Vendor ticket list and detail: every handler re-checks the session user, the
account and the Manage Tickets role in the services."""

from __future__ import annotations

import secrets
from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.models import Role, VendorAccount
from cbportal.services.accounts import dashboard
from cbportal.services.accounts.accounts import accounts_of
from cbportal.services.billing import orders
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.tickets import desk as ticket_desk
from cbportal.services.tickets import lifecycle as tickets
from cbportal.state import live_feed
from cbportal.state.base import PageState
from cbportal.state.customer_ticket import CommentRow, ticket_fields
from cbportal.state.session import sentence


class TicketRow(TypedDict):
    id: int
    receipt: str
    account: str
    type: str
    status: str
    opened_by: str
    process_at: str
    opened_at: str



class ThreadRow(TypedDict):
    kind: str          # comment, note (internal), status (history)
    who: str
    body: str
    at: str


class ContextRow(TypedDict):
    label: str
    text: str
    href: str


class VendorTicketsState(PageState):
    """The ticket list, live like the dashboard (live_feed.follow)."""
    rows: list[TicketRow] = []
    status_filter: str = "open"
    loaded: bool = False
    new_type: str = "refund"
    prefill_receipt: str = ""
    live: bool = False
    watch_id: str = ""
    _watcher_for: str = ""
    _account_ids: list[int] = []

    def _refresh(self, actor) -> None:
        with reader(get_engine()) as session:
            self.rows = [TicketRow(**r) for r in dashboard.ticket_list(session, actor=actor, status=self.status_filter)]
            self._account_ids = [a.id for a in accounts_of(session, actor)]

    @rx.event
    def stop_watching(self):
        self.watch_id, self.live = "", False

    @rx.event(background=True)
    async def watch(self):
        await live_feed.follow(self, self._refresh)

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
        self.watch_id = secrets.token_hex(8)
        return VendorTicketsState.watch

    @rx.event
    def set_filter(self, value: str | list[str]):
        actor = self._actor()
        value = value[0] if isinstance(value, list) and value else value
        if actor is None or value not in ("open", "closed", "all"):
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
        actor = self._actor()
        if actor is None or actor.is_staff:
            return rx.redirect(routes.LOGIN)
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


class VendorTicketState(PageState):
    """The ticket page is live too: a customer's reply or the worker processing it shows at once."""
    ticket_id: int = 0
    live: bool = False
    watch_id: str = ""
    _watcher_for: str = ""
    _account_ids: list[int] = []
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
    thread_rows: list[ThreadRow] = []
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
        self.thread_rows = [ThreadRow(**r) for r in ticket_desk.thread(session, actor=actor, ticket_id=ticket.id)]
        ctx = ticket_desk.context(session, actor=actor, ticket_id=ticket.id, now=get_clock().now())
        self.customer = {k: str(v) for k, v in ctx.items() if not isinstance(v, list)}
        order_link = f"{routes.VENDOR_ORDERS}?receipt="
        self.other_orders = [ContextRow(label=o["receipt"], text=f"{o['sku']} · {o['status']} · {o['at']}",
                                        href=order_link + o["receipt"]) for o in ctx["other_orders"]]
        self.other_tickets = [ContextRow(label=f"#{t['id']}", text=f"{t['type']} · {t['status']} · {t['at']}",
                                         href=f"{routes.VENDOR_TICKET}?id={t['id']}") for t in ctx["other_tickets"]]
        who = tickets.acting_for(actor)
        self.own_request = tickets.vendor_own_request(ticket, who)
        self.assignee = str(ticket.assignee_user_id or "")
        self.assignees = [{"id": str(u["id"]), "name": u["name"]}
                          for u in ticket_desk.assignable(session, actor=actor, ticket_id=ticket.id)]
        self.account = session.get(VendorAccount, ticket.account_id).nickname

    @rx.event
    def load(self):
        actor = self._actor()
        self._show(actor)
        try:
            self.ticket_id = int(self.router.url.query_parameters.get("id", "0"))
        except ValueError:
            self.ticket_id = 0
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.VENDOR_TICKET}?id={self.ticket_id}")
        if not self._gate(actor, routes.VENDOR_TICKET):
            return
        self.error, self.notice, self.found = "", "", False
        try:
            self._reload(actor)
        except ServiceError as error:
            self.error = sentence(error)
            return
        self.watch_id = secrets.token_hex(8)
        return VendorTicketState.watch

    def _reload(self, actor) -> None:
        with reader(get_engine()) as session:
            ticket = tickets.vendor_ticket(session, actor=actor, ticket_id=self.ticket_id)
            self._show_ticket(tickets.ticket_view(session, ticket))
            self._show_desk(session, actor, ticket)
            self._account_ids = [ticket.account_id]

    @rx.event
    def stop_watching(self):
        self.watch_id, self.live = "", False

    @rx.event(background=True)
    async def watch(self):
        """Refresh the ticket whenever its account changes (services/changes), until the page closes."""
        await live_feed.follow(self, self._reload)

    def _act(self, action, done: str):
        self.error, self.notice = "", ""
        actor = self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
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
