"""Staff area home (accounts, escalations, stuck refunds, product review) and the phone-ticket form."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import page
from cbportal.pages.staff_products import product_review
from cbportal.pages.staff_refunds import stuck_refunds
from cbportal.settings import get_settings
from cbportal.state.staff import AccountRow, EscalationRow, StaffHomeState, StaffPhoneState, ThreadLine


def _thread_line(line: ThreadLine) -> rx.Component:
    return rx.box(rx.text(line["author"], " · ", line["at"], size="1", color_scheme="gray"),
                  rx.text(line["body"], size="2", white_space="pre-wrap"), padding_y="0.3em")


def _refund_dialog(row: EscalationRow, flag: bool) -> rx.Component:
    """Refunding (and flagging) acts at once on the customer's money: confirm first."""
    label = "Refund and flag vendor" if flag else "Refund now"
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(label, size="1", color_scheme="red" if flag else "amber")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(label + ": ticket #" + row["id"].to_string() + "?"),
            rx.alert_dialog.description(
                "The ticket becomes a refund that is sent to the payment processor at once, and the subscription "
                "is canceled. The customer and the vendor are emailed when the refund goes through."
                + (" The vendor is also flagged for abuse: all its open refund and cancel requests process now, and "
                   "it can no longer close or change them." if flag else "")),
            rx.hstack(rx.alert_dialog.cancel(rx.button("Not now", variant="soft", color_scheme="gray")),
                      rx.alert_dialog.action(rx.button(label, color_scheme="red" if flag else "amber",
                                                       on_click=StaffHomeState.review(row["id"], "refund", flag))),
                      spacing="3", justify="end", margin_top="1em", wrap="wrap")))


def escalation_row(row: EscalationRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.link("Ticket #", row["id"], href=routes.vendor_ticket(row["id"])),
                  rx.text(row["account"]), rx.cond(row["flagged"], rx.badge("flagged", color_scheme="red")),
                  rx.code(row["receipt"]), rx.text(row["type"], " · ", row["status"], color_scheme="gray"),
                  spacing="2", wrap="wrap", align="center"),
        rx.text(row["customer"], " asks for a review:", size="2", color_scheme="gray"),
        rx.blockquote(row["escalation_text"], size="2", white_space="pre-wrap"),
        rx.el.details(rx.el.summary("Show the whole thread (", row["thread"].length(), " messages)",
                                    style={"cursor": "pointer"}),
                      rx.box(rx.foreach(row["thread"], _thread_line), padding_left="0.8em")),
        rx.hstack(
            rx.button("Uphold the vendor", size="1", variant="soft",
                      on_click=StaffHomeState.review(row["id"], "uphold", False)),
            _refund_dialog(row, False), _refund_dialog(row, True), spacing="3", wrap="wrap"),
        spacing="2", width="100%"), width="100%", data_testid="escalation")


def flag_control(row: AccountRow) -> rx.Component:
    """Flagging processes the vendor's open refund and cancel tickets at once: confirm first."""
    return rx.cond(
        row["flagged"],
        rx.button("Unflag", size="1", variant="soft", on_click=StaffHomeState.set_flag(row["nickname"], False)),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button("Flag for abuse", size="1", color_scheme="red", variant="soft")),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Flag " + row["nickname"] + " for abuse?"),
                rx.alert_dialog.description(
                    "Its ", row["open_tickets"], " open tickets include refund and cancel requests that will "
                    "process now, and new ones will process at once until it is unflagged."),
                rx.hstack(rx.alert_dialog.cancel(rx.button("Keep as is", variant="soft")),
                          rx.alert_dialog.action(rx.button("Flag vendor", color_scheme="red",
                                                           on_click=StaffHomeState.set_flag(row["nickname"], True))),
                          spacing="3", justify="end", margin_top="1em"))))


def account_row(row: AccountRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["nickname"], rx.cond(row["flagged"], rx.badge("flagged", color_scheme="red",
                                                                        margin_left="0.4em"))),
        rx.table.cell(row["time_zone"]), rx.table.cell(row["open_tickets"]),
        rx.table.cell(rx.switch(checked=row["admin_frequencies"], aria_label="Admin frequencies for " + row["nickname"],
                                on_change=lambda on: StaffHomeState.set_admin_frequencies(row["nickname"], on))),
        rx.table.cell(flag_control(row)), data_testid="account-row")


@registered.page(routes.STAFF, "Staff", StaffHomeState.load, nav=("Staff",))
def staff() -> rx.Component:
    return page(
        rx.heading("Staff", size="7"),
        rx.cond(
            StaffHomeState.loaded,
            rx.vstack(
                rx.text(StaffHomeState.account_count, " vendor accounts"),
                rx.hstack(rx.link("Email samples", href="/staff/emails"),
                          rx.link("Open a ticket for a caller", href=routes.STAFF_PHONE),
                          *([rx.link("Test clock", href=routes.STAFF_TEST)] if get_settings().test_mode else []),
                          spacing="5", wrap="wrap"),
                rx.cond(StaffHomeState.notice != "", rx.callout(StaffHomeState.notice, role="status")),
                rx.heading("Vendor accounts", size="4"),
                rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Account", "Time zone", "Open tickets", "Admin frequencies", "Abuse flag")])),
                    rx.table.body(rx.foreach(StaffHomeState.accounts, account_row)), width="100%"),
                rx.heading("Escalations", size="4"),
                rx.cond(StaffHomeState.escalations.length() > 0,
                        rx.vstack(rx.foreach(StaffHomeState.escalations, escalation_row), spacing="3", width="100%"),
                        rx.text("No ticket waits for review.", color_scheme="gray")),
                stuck_refunds(),
                product_review(),
                spacing="4", width="100%"),
            rx.hstack(rx.spinner(), rx.text("Loading…")),
        ),
    )


def _field(name: str, label: str, placeholder: str, error, type_: str, width: str) -> rx.Component:
    """An input with its own error line under it (no browser pop-up: the page says what is missing)."""
    return rx.vstack(
        rx.input(name=name, placeholder=placeholder, aria_label=label, type=type_, width="100%",
                 aria_invalid=rx.cond(error != "", "true", "false"), color_scheme=rx.cond(error != "", "red", "gray")),
        rx.cond(error != "", rx.text(error, color_scheme="red", size="1", data_testid=f"{name}-error")),
        spacing="1", max_width=width, width="100%")


@registered.page(routes.STAFF_PHONE, "Phone ticket", StaffPhoneState.load, nav=("Phone ticket",))
def staff_phone() -> rx.Component:
    S = StaffPhoneState
    return page(
        rx.heading("Open a ticket for a caller", size="7"),
        rx.text("Ask the caller for the receipt and the email address of the order, as the portal would. "
                "The ticket runs on the customer's timers and the customer gets the emails.", color_scheme="gray"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.card(rx.form(rx.vstack(
            rx.flex(_field("receipt", "Receipt", "Receipt", S.receipt_error, "text", "12em"),
                    _field("email", "Customer email", "Customer email", S.email_error, "email", "20em"),
                    spacing="3", wrap="wrap", width="100%"),
            rx.radio_group.root(rx.hstack(
                rx.radio_group.item("Refund", value="refund"), rx.text("Refund"),
                rx.radio_group.item("Cancel", value="cancel"), rx.text("Cancel subscription"),
                rx.radio_group.item("Tech support", value="tech_support"), rx.text("Technical support"),
                spacing="2", align="center"), value=S.ticket_type, on_change=S.choose_type, aria_label="Ticket type"),
            rx.text_area(name="comment", placeholder="What the caller said", aria_label="Note", width="100%"),
            rx.button("Open ticket", type="submit"), spacing="3", width="100%"),
            on_submit=S.open_ticket, reset_on_submit=False, no_validate=True), width="100%"),
    )
