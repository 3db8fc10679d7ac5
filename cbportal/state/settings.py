"""The Settings page: an account's time zone, customer-service contacts, pre-rebill
reminder days and INS URL/secret, "send test" and the INS delivery log. The owner edits;
the services check the user and the account on every event."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services import accounts, ins_admin
from cbportal.services.clock import get_clock
from cbportal.services.errors import ServiceError
from cbportal.state.session import SessionState, sentence


class DeliveryRow(TypedDict):
    id: int
    event: str
    created_at: str
    attempts: int
    state: str
    last_result: str
    duration_ms: int


class SettingsState(SessionState):
    loaded: bool = False
    error: str = ""
    notice: str = ""
    is_owner: bool = False
    nicknames: list[str] = []
    account: str = ""
    values: dict[str, str] = {}
    has_secret: bool = False
    log: list[DeliveryRow] = []
    form_key: int = 0

    def _read(self, actor) -> None:
        with reader(get_engine()) as session:
            mine = [a.nickname for a in accounts.accounts_of(session, actor)]
            nickname = self.account if self.account in mine else (mine[0] if mine else "")
            if not nickname:
                self.nicknames, self.account, self.values, self.log = [], "", {}, []
                return
            account = accounts.visible_account(session, actor, nickname)
            log = ins_admin.delivery_log(session, actor=actor, nickname=nickname) if actor.is_owner else []
        view = accounts.account_view(account)
        self.nicknames, self.account, self.is_owner = mine, nickname, actor.is_owner
        self.values = {k: "" if view[k] is None else str(view[k]) for k in (
            "time_zone", "customer_service_email", "contact_phone", "contact_url", "reminder_days", "ins_url",
            "account_email")}
        self.has_secret = bool(account.ins_secret)
        self.log = [DeliveryRow(**row) for row in log]
        self.form_key += 1                    # the form shows the stored values again

    def _signed_in(self):
        actor = self._actor()
        self._show(actor)
        return None if actor is None or actor.is_staff else actor

    def _run(self, change=None, done: str = ""):
        """Check the user, make the change (if any) in one transaction, show the stored values again."""
        actor = self._signed_in()
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.VENDOR_SETTINGS}")
        self.error, self.notice = "", ""
        try:
            if change is not None:
                with session_scope() as session:
                    change(session, actor, get_clock().now())
            self._read(actor)
            self.notice = done
        except ServiceError as error:
            self.error = sentence(error)
        self.loaded = True

    @rx.event
    def load(self):
        return self._run()

    @rx.event
    def pick_account(self, value: str):
        self.account = str(value)[:40]
        return self._run()

    @rx.event
    def save(self, form: dict):
        """The form as typed; the services check every value (time zone, email, 0-60 days, URL)."""
        days = str(form.get("reminder_days", "")).strip()
        changes = {name: str(form.get(name, "")).strip() or None for name in (
            "time_zone", "customer_service_email", "contact_phone", "contact_url", "ins_url")}
        changes["reminder_days"] = int(days) if days.isdigit() else days
        if str(form.get("ins_secret", "")).strip():
            changes["ins_secret"] = str(form["ins_secret"]).strip()[:200]
        return self._run(lambda session, actor, now: accounts.update_settings(
            session, now=now, actor=actor, nickname=self.account, **changes), "Settings saved.")

    @rx.event
    def send_test(self):
        return self._run(lambda session, actor, now: ins_admin.send_test(
            session, now=now, actor=actor, nickname=self.account),
            "A TEST notification is queued; its delivery shows in the log below.")

    @rx.event
    def refresh_log(self):
        return self._run()
