"""The signed-in user. The browser keeps only an opaque random session token
(LocalStorage); every handler resolves it against the database (`_actor`)."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services.accounts import auth, page_access
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError


def sentence(error: ServiceError) -> str:
    """A service error as a sentence for the page: capitalised, with a full stop."""
    return error.message[:1].upper() + error.message[1:] + "."


class SessionState(rx.State):
    token: str = rx.LocalStorage("", name="cbp_session")
    user_name: str = ""
    user_kind: str = ""          # "", "staff", "owner", "clerk"
    nav: list[str] = [routes.PORTAL]   # the navbar links this user sees (services/accounts/page_access.py)
    refused: str = ""            # set: the page shows this sentence and a link home instead of itself

    def _actor(self) -> auth.Actor | None:
        """Who is signed in, checked against the database on every call."""
        with reader(get_engine()) as session:
            return auth.actor_for_session(session, now=get_clock().now(), token=self.token)

    def _show(self, actor: auth.Actor | None) -> None:
        self.user_name = actor.name if actor else ""
        self.user_kind = actor.label if actor else ""
        self.nav = page_access.nav_links(actor)

    def _gate(self, actor: auth.Actor | None, route: str) -> bool:
        """May this signed-in user open the page? If not, the page says why (never a silent
        redirect to the login page; a visitor who is not signed in is sent there by the caller)."""
        self.refused = page_access.refusal(actor, route) if actor is not None else ""
        return actor is not None and self.refused == ""

    @rx.event
    def load_user(self):
        self.refused = ""
        self._show(self._actor())

    @rx.event
    def logout(self):
        if self.token:
            with session_scope() as session:
                auth.logout(session, now=get_clock().now(), token=self.token)
        self.token = ""
        self.refused = ""
        self._show(None)
        return rx.redirect(routes.HOME)
