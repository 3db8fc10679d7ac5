"""Settings: time zone, customer-service contacts, reminder days, INS with "send test" and the delivery log,
and the business calendar (holidays and closed dates)."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import page
from cbportal.state.settings import SettingsState
from cbportal.state.settings import SettingsState as S
from cbportal.state.settings_form import Choice, DeliveryRow


def field(label: str, name: str, hint=None, **props) -> rx.Component:
    parts = [rx.text(label, as_="label", html_for=name, size="2", weight="medium"),
             rx.input(id=name, name=name, aria_label=label, default_value=S.values[name], disabled=~S.is_owner,
                      width="100%", **props)]
    if hint is not None:
        parts.append(rx.text(hint, size="1", color_scheme="gray"))
    return rx.vstack(*parts, spacing="1", width="100%")


def settings_form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.heading("Account", size="4"),
        rx.grid(
            field("Time zone", "time_zone",
                  "An IANA zone, e.g. America/New_York: business hours and rebill dates use it."),
            field("Pre-rebill reminder days", "reminder_days", "0 to 60; 0 sends no reminder.", type="number",
                  min=0, max=60),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"),
        rx.heading("Contact methods shown to customers", size="4"),
        rx.grid(
            field("Customer-service email", "customer_service_email",
                  "Ticket email goes here; empty uses the account email " + S.values["account_email"] + "."),
            field("Phone", "contact_phone"), field("Support URL", "contact_url"),
            columns=rx.breakpoints(initial="1", md="3"), spacing="4", width="100%"),
        rx.heading("Instant notifications (INS)", size="4"),
        rx.grid(
            field("INS URL", "ins_url", "We POST signed JSON here (header X-Cbportal-Signature, HMAC-SHA256)."),
            rx.vstack(rx.text("INS secret", as_="label", html_for="ins_secret", size="2", weight="medium"),
                      rx.input(id="ins_secret", name="ins_secret", aria_label="INS secret", type="password",
                               disabled=~S.is_owner,
                               placeholder=rx.cond(S.has_secret, "set — leave empty to keep it", "not set"),
                               width="100%", auto_complete="new-password"),
                      spacing="1", width="100%"),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"),
        rx.cond(S.is_owner, rx.button("Save settings", type="submit"),
                rx.text("Only the account owner can change settings.", color_scheme="gray")),
        spacing="4", width="100%"), on_submit=S.save, reset_on_submit=False, key=S.form_key.to_string())


def choice(c: Choice) -> rx.Component:
    return rx.select.item(c["label"], value=c["value"])


def calendar_form() -> rx.Component:
    """Holiday calendar and closed dates: days that count like Saturday and Sunday (R2)."""
    return rx.form(rx.vstack(
        rx.heading("Holidays and closed days", size="4"),
        rx.text("Business hours and weekend deferrals also skip these days, in the account's time zone; "
                "ticket countdowns say when they were paused for one.", size="2", color_scheme="gray"),
        rx.grid(
            rx.vstack(rx.text("Holiday calendar", size="2", weight="medium"),
                      rx.select.root(rx.select.trigger(aria_label="Holiday calendar", width="100%"),
                                     rx.select.content(rx.foreach(S.countries, choice)),
                                     value=S.holiday_country, on_change=S.pick_country, disabled=~S.is_owner),
                      spacing="1", width="100%"),
            rx.vstack(rx.text("Region", size="2", weight="medium"),
                      rx.select.root(rx.select.trigger(aria_label="Holiday region", width="100%"),
                                     rx.select.content(rx.foreach(S.regions, choice)),
                                     value=S.holiday_region, on_change=S.pick_region,
                                     disabled=~S.is_owner | (S.regions.length() <= 1)),
                      spacing="1", width="100%"),
            columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"),
        rx.vstack(rx.text("Closed dates", as_="label", html_for="closed_dates", size="2", weight="medium"),
                  rx.text_area(id="closed_dates", name="closed_dates", aria_label="Closed dates",
                               default_value=S.closed_text, disabled=~S.is_owner, rows="4", width="100%",
                               placeholder="2026-12-24 Christmas Eve"),
                  rx.text("One per line: the date, then an optional name.", size="1", color_scheme="gray"),
                  spacing="1", width="100%"),
        rx.cond(S.is_owner, rx.button("Save calendar", type="submit")),
        spacing="3", width="100%"), on_submit=S.save_calendar, reset_on_submit=False,
        key="calendar-" + S.form_key.to_string())


def log_row(r: DeliveryRow) -> rx.Component:
    return rx.table.row(rx.table.cell(r["created_at"]), rx.table.cell(rx.badge(r["event"])),
                        rx.table.cell(rx.badge(r["state"], color_scheme=rx.match(
                            r["state"], ("delivered", "green"), ("gave up", "red"), ("retrying", "amber"), "gray"))),
                        rx.table.cell(r["attempts"]), rx.table.cell(r["last_result"]),
                        rx.table.cell(r["duration_ms"], " ms"), data_testid="ins-row")


def delivery_log() -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.heading("INS delivery log", size="4"), rx.spacer(),
                  rx.button("Send test", on_click=S.send_test, variant="soft", disabled=~S.is_owner),
                  rx.button("Refresh", on_click=S.refresh_log, variant="outline"), width="100%", align="center"),
        rx.cond(S.log.length() > 0,
                rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Queued (UTC)", "Event", "State", "Attempts", "Last result", "Time")])),
                    rx.table.body(rx.foreach(S.log, log_row)), width="100%"),
                rx.text("No notifications yet.", color_scheme="gray")),
        spacing="3", width="100%"), width="100%")


@registered.page(routes.VENDOR_SETTINGS, "Settings", SettingsState.load, nav=("Settings",))
def settings_page() -> rx.Component:
    return page(
        rx.hstack(rx.heading("Settings", size="7"), rx.spacer(),
                  rx.select.root(rx.select.trigger(aria_label="Account"),
                                 rx.select.content(rx.foreach(S.nicknames, lambda n: rx.select.item(n, value=n))),
                                 value=S.account, on_change=S.pick_account),
                  width="100%", align="center"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.notice != "", rx.callout(S.notice, color_scheme="green", role="status")),
        rx.cond(S.loaded,
                rx.cond(S.account != "", rx.vstack(rx.card(settings_form(), width="100%"),
                                                   rx.card(calendar_form(), width="100%"),
                                                   rx.cond(S.is_owner, delivery_log()), spacing="4", width="100%"),
                        rx.text("No vendor accounts are linked to you yet.")),
                rx.hstack(rx.spinner(), rx.text("Loading settings…"))),
    )
