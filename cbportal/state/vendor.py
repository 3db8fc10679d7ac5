"""Vendor dashboard home: the signed-in user's accounts with their figures."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader
from cbportal.services import dashboard
from cbportal.services.clock import get_clock
from cbportal.state.session import SessionState


class AccountRow(TypedDict):
    nickname: str
    time_zone: str
    open_tickets: int
    due_24h: int
    active_subscriptions: int
    orders_30d: int


class VendorHomeState(SessionState):
    accounts: list[AccountRow] = []
    roles: list[str] = []
    loaded: bool = False

    @rx.event
    def load(self):
        actor = self._actor()
        self._show(actor)
        if actor is None or actor.is_staff:
            return rx.redirect(f"{routes.LOGIN}?next={routes.VENDOR}")
        with reader(get_engine()) as session:
            self.accounts = [AccountRow(**row) for row in dashboard.account_summaries(session, actor=actor, now=get_clock().now())]
        self.roles = sorted(role.value.replace("_", " ") for role in actor.roles)
        self.loaded = True
