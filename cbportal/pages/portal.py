"""Customer portal: order lookup by receipt + email, then the receipt page."""

import reflex as rx

from cbportal.components.layout import page
from cbportal.state.portal import BillRow, PortalState


def bill_row(row: BillRow) -> rx.Component:
    return rx.table.row(rx.table.cell(row["seq"]), rx.table.cell(row["kind"]), rx.table.cell(row["date"]),
                        rx.table.cell(row["amount"]), rx.table.cell(rx.badge(row["status"])))


def portal() -> rx.Component:
    return page(
        rx.heading("Find your order", size="7"),
        rx.text("Enter the receipt number from your purchase email and the email address you used. "
                "No account is needed.", color_scheme="gray"),
        rx.form(
            rx.hstack(
                rx.input(name="receipt", placeholder="Receipt, e.g. K7Q2M9XA", aria_label="Receipt"),
                rx.input(name="email", type="email", placeholder="Email", aria_label="Email"),
                rx.button("Look up", type="submit"),
                spacing="3"),
            on_submit=PortalState.lookup, reset_on_submit=False),
        rx.cond(PortalState.error != "", rx.callout(PortalState.error, color_scheme="red", role="alert")),
        rx.cond(
            PortalState.found,
            rx.card(rx.vstack(
                rx.heading(PortalState.title, size="5"),
                rx.text("Receipt ", rx.code(PortalState.receipt)),
                rx.cond(PortalState.subscription != "", rx.text("Subscription: ", PortalState.subscription)),
                rx.table.root(rx.table.header(rx.table.row(
                    rx.table.column_header_cell("#"), rx.table.column_header_cell("Kind"),
                    rx.table.column_header_cell("Date"), rx.table.column_header_cell("Amount"),
                    rx.table.column_header_cell("Status"))),
                    rx.table.body(rx.foreach(PortalState.bills, bill_row)), width="100%"),
                rx.text("Vendor contact: ", PortalState.contact, color_scheme="gray"),
                spacing="3", width="100%"), width="100%"),
        ),
    )
