"""Login for vendor users and staff (hashed passwords, server-side sessions)."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.db import session_scope
from cbportal.services.accounts import auth
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.state.base import PageState


class LoginState(PageState):
    busy: bool = False

    @rx.event
    def submit(self, form: dict):
        self.error = ""
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        if not email or not password:
            self.error = "Enter your email and password."
            return
        try:
            with session_scope() as session:
                token = auth.login(session, now=get_clock().now(), email=email, password=password,
                                   address=self.router.session.client_ip or "unknown")
        except ServiceError as error:
            self.error = error.message.capitalize() + "."
            return
        self.token = token
        actor = self._actor()
        self._show(actor)
        target = self.router.url.query_parameters.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = routes.STAFF if actor and actor.is_staff else routes.VENDOR
        return rx.redirect(target)
