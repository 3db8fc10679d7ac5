"""Staff area home: the approval queue."""

import reflex as rx

from cbportal.components.layout import page
from cbportal.state.staff import EscalationRow, PendingRow, StaffHomeState


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
                rx.link("Email samples", href="/staff/emails"),
                rx.heading("Escalations", size="4"),
                rx.cond(StaffHomeState.escalations.length() > 0,
                        rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                            "Ticket", "Account", "Receipt", "Ticket now", "Decision")])),
                            rx.table.body(rx.foreach(StaffHomeState.escalations, escalation_row)), width="100%"),
                        rx.text("No ticket waits for review.", color_scheme="gray")),
                rx.heading("Products awaiting approval", size="4"),
                rx.cond(StaffHomeState.notice != "", rx.callout(StaffHomeState.notice, role="status")),
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
