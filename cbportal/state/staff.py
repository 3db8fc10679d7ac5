"""Staff home: products awaiting approval and accounts."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader
from cbportal.services import dashboard
from cbportal.state.session import SessionState


class PendingRow(TypedDict):
    sku: str
    account: str
    title: str


class StaffHomeState(SessionState):
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
