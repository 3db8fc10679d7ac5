"""The Settings page: an account's time zone, customer-service contacts, pre-rebill
reminder days and INS URL/secret, "send test" and the INS delivery log, and its business
calendar (holiday calendar and closed dates). The owner edits; the services check the
user and the account on every event."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services.accounts import accounts, business_calendars
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.delivery import ins_admin
from cbportal.state.base import PageState
from cbportal.state.session import sentence
from cbportal.state.settings_form import NONE, Choice, DeliveryRow, choices, shown_values, typed_changes


class SettingsState(PageState):
    loaded: bool = False
    notice: str = ""
    is_owner: bool = False
    nicknames: list[str] = []
    account: str = ""
    values: dict[str, str] = {}
    has_secret: bool = False
    log: list[DeliveryRow] = []
    form_key: int = 0
    countries: list[Choice] = []
    regions: list[Choice] = []
    holiday_country: str = NONE
    holiday_region: str = NONE
    closed_text: str = ""

    def _read(self, actor) -> None:
        with reader(get_engine()) as session:
            mine = [a.nickname for a in accounts.accounts_of(session, actor)]
            nickname = self.account if self.account in mine else (mine[0] if mine else "")
            if not nickname:
                self.nicknames, self.account, self.values, self.log = [], "", {}, []
                return
            account = accounts.visible_account(session, actor, nickname)
            log = ins_admin.delivery_log(session, actor=actor, nickname=nickname) if actor.is_owner else []
            closed = business_calendars.closed_dates(session, account.id)
        view = accounts.account_view(account)
        self.nicknames, self.account, self.is_owner = mine, nickname, actor.is_owner
        self.values = shown_values(view)
        self.has_secret = bool(account.ins_secret)
        self.log = [DeliveryRow(**row) for row in log]
        if not self.countries:
            self.countries = choices(business_calendars.countries(), "No holiday calendar")
        self.holiday_country = account.holiday_country or NONE
        self.holiday_region = account.holiday_region or NONE
        self.regions = choices(business_calendars.regions(account.holiday_country), "Whole country")
        self.closed_text = business_calendars.closed_lines(closed)
        self.form_key += 1                    # the form shows the stored values again

    def _change(self, change=None, done: str = ""):
        """Check the user, make the change (if any) in one transaction, show the stored values again."""
        actor, leave = self._enter(routes.VENDOR_SETTINGS)
        if actor is None:
            return leave
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
        return self._change()

    @rx.event
    def pick_account(self, value: str):
        self.account = str(value)[:40]
        return self._change()

    @rx.event
    def save(self, form: dict):
        """The form as typed; the services check every value (time zone, email, 0-60 days, URL)."""
        changes = typed_changes(form)
        return self._change(lambda session, actor, now: accounts.update_settings(
            session, now=now, actor=actor, nickname=self.account, **changes), "Settings saved.")

    @rx.event
    def send_test(self):
        return self._change(lambda session, actor, now: ins_admin.send_test(
            session, now=now, actor=actor, nickname=self.account),
            "A TEST notification is queued; its delivery shows in the log below.")

    @rx.event
    def refresh_log(self):
        return self._change()

    @rx.event
    def pick_country(self, value: str):
        """Show the chosen country's regions; nothing is saved until "Save calendar"."""
        codes = {c["value"] for c in self.countries}
        self.holiday_country = value if value in codes else NONE
        self.holiday_region = NONE
        self.regions = choices(business_calendars.regions(None if self.holiday_country == NONE
                                                          else self.holiday_country), "Whole country")

    @rx.event
    def pick_region(self, value: str):
        self.holiday_region = value if value in {c["value"] for c in self.regions} else NONE

    @rx.event
    def save_calendar(self, form: dict):
        """The holiday calendar picked and the closed dates as typed (one per line)."""
        text = str(form.get("closed_dates", ""))[:20_000]
        country = None if self.holiday_country == NONE else self.holiday_country
        region = None if self.holiday_region == NONE else self.holiday_region
        return self._change(lambda session, actor, now: business_calendars.set_calendar(
            session, now=now, actor=actor, nickname=self.account, country=country, region=region,
            closed=business_calendars.parse_closed_lines(text)), "Calendar saved.")
