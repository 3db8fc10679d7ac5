"""The invitation page: an invited clerk chooses their first password (services/invitations)."""

from __future__ import annotations

import reflex as rx

from cbportal.db import get_engine, reader, session_scope
from cbportal.services.accounts import invitations
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.settings import get_settings
from cbportal.state.session import sentence


class InviteState(rx.State):
    email: str = ""
    error: str = ""
    done: bool = False
    usable: bool = True       # False: the link is used, expired or not ours; the page says so at once

    def _link(self) -> tuple[int, int, str, str]:
        params = self.router.url.query_parameters
        try:
            user_id, expires = int(params.get("user", "0")), int(params.get("exp", "0"))
        except ValueError:
            user_id, expires = 0, 0
        return user_id, expires, params.get("email", ""), params.get("sig", "")

    @rx.event
    def load(self):
        self.email = self.router.url.query_parameters.get("email", "")[:254]
        self.error, self.done = "", False
        user_id, expires, email, sig = self._link()
        with reader(get_engine()) as session:
            self.usable = invitations.usable(session, now=get_clock().now(), user_id=user_id, expires=expires,
                                             email=email, sig=sig, secret=get_settings().secret)
        if not self.usable:
            self.error = invitations.NOT_VALID[:1].upper() + invitations.NOT_VALID[1:] + "."

    @rx.event
    def accept(self, form: dict):
        """The link's fields come from the page address; the services check its signature."""
        password, again = str(form.get("password", "")), str(form.get("again", ""))
        if password != again:
            self.error = "The two passwords differ."
            return
        user_id, expires, email, sig = self._link()
        try:
            with session_scope() as session:
                invitations.accept(session, now=get_clock().now(), user_id=user_id, expires=expires,
                                   email=email, sig=sig, password=password, secret=get_settings().secret)
        except ServiceError as error:
            self.error = sentence(error)
            return
        self.error, self.done = "", True
