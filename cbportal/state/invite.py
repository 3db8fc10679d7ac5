"""The invitation page: an invited clerk chooses their first password (services/invitations)."""

from __future__ import annotations

import reflex as rx

from cbportal.db import session_scope
from cbportal.services import invitations
from cbportal.services.clock import get_clock
from cbportal.services.errors import ServiceError
from cbportal.settings import get_settings
from cbportal.state.session import sentence


class InviteState(rx.State):
    email: str = ""
    error: str = ""
    done: bool = False

    @rx.event
    def load(self):
        self.email = self.router.url.query_parameters.get("email", "")[:254]
        self.error, self.done = "", False

    @rx.event
    def accept(self, form: dict):
        """The link's fields come from the page address; the services check its signature."""
        params = self.router.url.query_parameters
        password, again = str(form.get("password", "")), str(form.get("again", ""))
        if password != again:
            self.error = "The two passwords differ."
            return
        try:
            user_id, expires = int(params.get("user", "0")), int(params.get("exp", "0"))
        except ValueError:
            user_id, expires = 0, 0
        try:
            with session_scope() as session:
                invitations.accept(session, now=get_clock().now(), user_id=user_id, expires=expires,
                                   email=params.get("email", ""), sig=params.get("sig", ""), password=password,
                                   secret=get_settings().secret)
        except ServiceError as error:
            self.error = sentence(error)
            return
        self.error, self.done = "", True
