"""Staff home: products awaiting approval and accounts."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services import dashboard, products, tickets
from cbportal.services.clock import get_clock
from cbportal.services.errors import ServiceError
from cbportal.state.session import SessionState


class PendingRow(TypedDict):
    sku: str
    account: str
    title: str


class EscalationRow(TypedDict):
    id: int
    receipt: str
    account: str
    type: str
    status: str
    flagged: bool


class StaffHomeState(SessionState):
    escalations: list[EscalationRow] = []
    notice: str = ""
    pending: list[PendingRow] = []
    account_count: int = 0
    loaded: bool = False

    @rx.event
    def load(self):
        actor = self._actor()
        self._show(actor)
        if actor is None or not actor.is_staff:
            return rx.redirect(f"{routes.LOGIN}?next={routes.STAFF}")
        with reader(get_engine()) as session:
            summary = dashboard.staff_summary(session, actor=actor)
            self.escalations = [EscalationRow(**row) for row in dashboard.escalations(session, actor=actor)]
        self.pending = [PendingRow(**row) for row in summary["pending"]]
        self.account_count = summary["accounts"]
        self.loaded = True

    @rx.event
    def decide(self, sku: str, approve: bool):
        actor = self._actor()
        if actor is None or not actor.is_staff:
            return rx.redirect(routes.LOGIN)
        try:
            with session_scope() as session:
                products.decide_product(session, now=get_clock().now(), actor=actor, sku=sku, approve=approve)
        except ServiceError as error:
            self.notice = error.message
        else:
            self.notice = f"{sku} {'approved' if approve else 'rejected'}."
        return StaffHomeState.load

    @rx.event
    def review(self, ticket_id: int, decision: str, flag_vendor: bool):
        """Uphold the vendor, or refund now; optionally flag the vendor for abuse (R3)."""
        actor = self._actor()
        if actor is None or not actor.is_staff:
            return rx.redirect(routes.LOGIN)
        try:
            with session_scope() as session:
                ticket = tickets.get_ticket(session, int(ticket_id))
                tickets.review(session, now=get_clock().now(), actor=actor, ticket=ticket, decision=decision,
                               flag_vendor=bool(flag_vendor))
        except ServiceError as error:
            self.notice = error.message
        else:
            self.notice = f"Ticket #{ticket_id}: {'upheld' if decision == 'uphold' else 'refund processing now'}" + (
                ", vendor flagged." if flag_vendor else ".")
        return StaffHomeState.load
