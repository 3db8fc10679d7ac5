"""Customer portal: order lookup by receipt + email, then the receipt page."""

import reflex as rx

from cbportal.components.layout import page
from cbportal.state.portal import BillRow, PortalState, TicketLink

EXPLAIN = {
    "tech_support": "Ask the vendor for help. Nothing is refunded or canceled.",
    "refund": "Your latest payment is refunded after 24 business hours (weekends and the vendor's holidays do "
              "not count; 19 days for physical products) unless you close the ticket or change it first. "
              "A subscription is canceled too. The vendor may contact you to help in the meantime.",
    "cancel": "Your subscription is canceled after 24 business hours (weekends and the vendor's holidays do not "
              "count); nothing is "
              "refunded. You can close the ticket before then.",
}


def ticket_link(row: TicketLink) -> rx.Component:
    return rx.link(row["label"], href=row["url"])


def type_option(value: str, label: str) -> rx.Component:
    return rx.hstack(rx.radio_group.item(value=value, id=f"type-{value}", aria_label=label),
                     rx.el.label(label, html_for=f"type-{value}"), align="center", spacing="2")


def open_ticket_form() -> rx.Component:
    options = [("tech_support", "Technical support"), ("refund", "Refund")]
    return rx.card(rx.vstack(
        rx.heading("Need help, a refund or a cancelation?", size="4"),
        rx.cond(PortalState.tickets.length() > 0,
                rx.vstack(rx.text("Your tickets on this order:", weight="medium"),
                          rx.foreach(PortalState.tickets, ticket_link), spacing="1")),
        rx.form(rx.vstack(
            rx.radio_group.root(
                rx.hstack(*[type_option(v, label) for v, label in options],
                          rx.cond(PortalState.has_subscription, type_option("cancel", "Cancel subscription")),
                          spacing="5"),
                value=PortalState.open_type, on_change=PortalState.choose_type, name="type"),
            rx.callout(rx.match(PortalState.open_type, ("refund", EXPLAIN["refund"]), ("cancel", EXPLAIN["cancel"]),
                                EXPLAIN["tech_support"]), color_scheme="gray"),
            rx.text_area(name="comment", placeholder="Tell the vendor what is going on", aria_label="Message",
                         width="100%"),
            rx.cond(PortalState.open_error != "", rx.callout(PortalState.open_error, color_scheme="red", role="alert")),
            rx.button("Open ticket", type="submit"),
            spacing="3", width="100%"), on_submit=PortalState.open_ticket, reset_on_submit=False, width="100%"),
        spacing="3", width="100%"), width="100%")


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
        rx.cond(PortalState.found, open_ticket_form()),
    )
