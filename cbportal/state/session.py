"""The signed-in user. The browser keeps only an opaque random session token
(LocalStorage); every handler resolves it against the database (`_actor`)."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services import auth
from cbportal.services.clock import get_clock
from cbportal.services.errors import ServiceError


def sentence(error: ServiceError) -> str:
    """A service error as a sentence for the page: capitalised, with a full stop."""
    return error.message[:1].upper() + error.message[1:] + "."


class SessionState(rx.State):
    token: str = rx.LocalStorage("", name="cbp_session")
    user_name: str = ""
    user_kind: str = ""          # "", "staff", "owner", "clerk"

    def _actor(self) -> auth.Actor | None:
        """Who is signed in, checked against the database on every call."""
        with reader(get_engine()) as session:
            return auth.actor_for_session(session, now=get_clock().now(), token=self.token)

    def _show(self, actor: auth.Actor | None) -> None:
        self.user_name = actor.name if actor else ""
        self.user_kind = actor.label if actor else ""

    def _change_and_refresh(self, actor: auth.Actor, refresh, **changes) -> bool:
        """Set page fields (filters, the account picked) and refresh with them; when the
        services refuse, put the fields back and show why (the subclass has an `error` var)."""
        before = {name: getattr(self, name) for name in changes}
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            refresh(actor)
        except ServiceError as error:
            for name, value in before.items():
                setattr(self, name, value)
            self.error = sentence(error)
            return False
        self.error = ""
        return True

    @rx.event
    def load_user(self):
        self._show(self._actor())

    @rx.event
    def logout(self):
        if self.token:
            with session_scope() as session:
                auth.logout(session, now=get_clock().now(), token=self.token)
        self.token = ""
        self._show(None)
        return rx.redirect(routes.HOME)
