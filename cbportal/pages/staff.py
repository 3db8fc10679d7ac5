"""Staff area home: the approval queue."""

import reflex as rx

from cbportal.components.layout import page
from cbportal import routes
from cbportal.settings import get_settings
from cbportal.state.staff import AccountRow, EscalationRow, PendingRow, StaffHomeState, StaffPhoneState


def escalation_row(row: EscalationRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("#", row["id"], href="/vendor/ticket?id=" + row["id"].to_string())),
        rx.table.cell(row["account"], rx.cond(row["flagged"], rx.badge("flagged", color_scheme="red"))),
        rx.table.cell(rx.code(row["receipt"])), rx.table.cell(row["type"], " · ", row["status"]),
        rx.table.cell(rx.hstack(
            rx.button("Uphold", size="1", variant="soft", on_click=StaffHomeState.review(row["id"], "uphold", False)),
            rx.button("Refund now", size="1", color_scheme="amber",
                      on_click=StaffHomeState.review(row["id"], "refund", False)),
            rx.button("Refund and flag vendor", size="1", color_scheme="red",
                      on_click=StaffHomeState.review(row["id"], "refund", True)))))


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


def pending_row(row: PendingRow) -> rx.Component:
    return rx.table.row(rx.table.cell(row["sku"]), rx.table.cell(row["account"]), rx.table.cell(row["title"]),
                        rx.table.cell(rx.hstack(
                            rx.button("Approve", size="1", on_click=StaffHomeState.decide(row["sku"], True)),
                            rx.button("Reject", size="1", variant="soft", color_scheme="red",
                                      on_click=StaffHomeState.decide(row["sku"], False)))))


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
                          spacing="5"),
                rx.cond(StaffHomeState.notice != "", rx.callout(StaffHomeState.notice, role="status")),
                rx.heading("Vendor accounts", size="4"),
                rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Account", "Time zone", "Open tickets", "Admin frequencies", "Abuse flag")])),
                    rx.table.body(rx.foreach(StaffHomeState.accounts, account_row)), width="100%"),
                rx.heading("Escalations", size="4"),
                rx.cond(StaffHomeState.escalations.length() > 0,
                        rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                            "Ticket", "Account", "Receipt", "Ticket now", "Decision")])),
                            rx.table.body(rx.foreach(StaffHomeState.escalations, escalation_row)), width="100%"),
                        rx.text("No ticket waits for review.", color_scheme="gray")),
                rx.heading("Products awaiting approval", size="4"),
                rx.cond(StaffHomeState.pending.length() > 0,
                        rx.table.root(rx.table.header(rx.table.row(
                            rx.table.column_header_cell("SKU"), rx.table.column_header_cell("Account"),
                            rx.table.column_header_cell("Title"), rx.table.column_header_cell(""))),
                            rx.table.body(rx.foreach(StaffHomeState.pending, pending_row)), width="100%"),
                        rx.text("Nothing waits for approval.", color_scheme="gray")),
                spacing="4", width="100%"),
            rx.hstack(rx.spinner(), rx.text("Loading…")),
        ),
    )


def staff_phone() -> rx.Component:
    S = StaffPhoneState
    return page(
        rx.heading("Open a ticket for a caller", size="7"),
        rx.text("Ask the caller for the receipt and the email address of the order, as the portal would. "
                "The ticket runs on the customer's timers (R3) and the customer gets the emails.", color_scheme="gray"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.card(rx.form(rx.vstack(
            rx.hstack(rx.input(name="receipt", placeholder="Receipt", aria_label="Receipt", required=True),
                      rx.input(name="email", placeholder="Customer email", aria_label="Customer email", type="email",
                               required=True, width="20em"), spacing="3", wrap="wrap"),
            rx.radio_group.root(rx.hstack(
                rx.radio_group.item("Refund", value="refund"), rx.text("Refund"),
                rx.radio_group.item("Cancel", value="cancel"), rx.text("Cancel subscription"),
                rx.radio_group.item("Tech support", value="tech_support"), rx.text("Technical support"),
                spacing="2", align="center"), value=S.ticket_type, on_change=S.choose_type, aria_label="Ticket type"),
            rx.text_area(name="comment", placeholder="What the caller said", aria_label="Note", width="100%"),
            rx.button("Open ticket", type="submit"), spacing="3", width="100%"),
            on_submit=S.open_ticket, reset_on_submit=False), width="100%"),
    )
