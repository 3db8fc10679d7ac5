"""Staff home: products awaiting approval and accounts."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services import dashboard, products
from cbportal.services.clock import get_clock
from cbportal.services.errors import ServiceError
from cbportal.state.session import SessionState


class PendingRow(TypedDict):
    sku: str
    account: str
    title: str


class StaffHomeState(SessionState):
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
