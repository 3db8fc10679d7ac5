"""Customer portal: order lookup by receipt + email, then the receipt page."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import public_page
from cbportal.components.page import PUBLIC
from cbportal.pages.my_orders import ask_form
from cbportal.state.portal import PortalState
from cbportal.state.portal_rows import BillRow, TicketLink

EXPLAIN = {
    "tech_support": "Ask the vendor for help. Nothing is refunded or canceled.",
    "refund": "Your latest payment is refunded after 24 business hours (weekends and the vendor's holidays do "
              "not count) unless you close the ticket or change it first. A subscription is "
              "canceled too. The vendor may contact you to help in the meantime.",
    "refund_physical": "Your latest payment is refunded after 19 days (moved to the Monday when it falls on a "
                       "weekend) unless you close the ticket or change it first. A subscription is canceled too. "
                       "The vendor may contact you to help in the meantime.",
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
                rx.flex(*[type_option(v, label) for v, label in options],
                        rx.cond(PortalState.has_subscription, type_option("cancel", "Cancel subscription")),
                        spacing="4", wrap="wrap"),
                value=PortalState.open_type, on_change=PortalState.choose_type, name="type"),
            rx.callout(rx.match(PortalState.open_type,
                                ("refund", rx.cond(PortalState.physical, EXPLAIN["refund_physical"],
                                                   EXPLAIN["refund"])),
                                ("cancel", EXPLAIN["cancel"]),
                                EXPLAIN["tech_support"]), color_scheme="gray"),
            rx.el.label("Your message to the vendor", html_for="ticket-comment", style={"fontWeight": 500}),
            rx.text_area(id="ticket-comment", name="comment", width="100%"),
            rx.cond(PortalState.open_error != "", rx.callout(PortalState.open_error, color_scheme="red", role="alert")),
            rx.button("Open ticket", type="submit"),
            spacing="3", width="100%"), on_submit=PortalState.open_ticket, reset_on_submit=False, width="100%"),
        spacing="3", width="100%"), width="100%")


def bill_row(row: BillRow) -> rx.Component:
    return rx.table.row(rx.table.cell(row["seq"]), rx.table.cell(row["kind"]), rx.table.cell(row["date"]),
                        rx.table.cell(row["amount"]), rx.table.cell(rx.badge(row["status"])),
                        rx.table.cell(rx.hstack(
                            rx.link("View", href=row["receipt_url"], is_external=True,
                                    aria_label="Receipt: print view"),
                            rx.link("PDF", href=row["pdf_url"], aria_label="Receipt PDF"), spacing="2")))


def lookup_field(label: str, name: str, error, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"lookup-{name}", style={"fontWeight": 500}),
        rx.input(id=f"lookup-{name}", name=name, width="100%", aria_describedby=f"lookup-{name}-error",
                 aria_invalid=rx.cond(error != "", "true", "false"), **props),
        rx.cond(error != "", rx.text(error, id=f"lookup-{name}-error", color_scheme="red", size="2")),
        spacing="1", width="100%", flex="1 1 12em", min_width="0")


def summary_item(label: str, value) -> rx.Component:
    return rx.flex(rx.text(label, color_scheme="gray", min_width="8em"), rx.text(value),
                   direction=rx.breakpoints(initial="column", sm="row"), spacing="1", width="100%")


def order_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(PortalState.title, size="5", style={"overflowWrap": "anywhere"}),
        summary_item("Receipt", rx.code(PortalState.receipt)),
        rx.cond(PortalState.status_words != "", summary_item("Subscription", PortalState.status_words)),
        rx.cond(PortalState.status_words != "", summary_item("Next charge", PortalState.next_charge)),
        rx.cond(PortalState.terms != "", summary_item("Terms", PortalState.terms)),
        rx.box(rx.table.root(rx.table.header(rx.table.row(
            rx.table.column_header_cell("#"), rx.table.column_header_cell("Kind"),
            rx.table.column_header_cell("Date"), rx.table.column_header_cell("Amount"),
            rx.table.column_header_cell("Status"), rx.table.column_header_cell("Receipt"))),
            rx.table.body(rx.foreach(PortalState.bills, bill_row)), width="100%", size="1"),
            width="100%", overflow_x="auto"),
        rx.flex(rx.link(rx.button("Update your card", variant="soft"), href=PortalState.card_url),
                spacing="3", wrap="wrap"),
        rx.text("Vendor contact: ", PortalState.contact, color_scheme="gray", style={"overflowWrap": "anywhere"}),
        spacing="3", width="100%"), width="100%")


@registered.page(routes.PORTAL, "Find your order", PortalState.load, area=PUBLIC, nav=("Find your order",))
def portal() -> rx.Component:
    return public_page(
        rx.cond(PortalState.found,
                rx.flex(rx.heading("Your order", size="7"), rx.spacer(),
                        rx.button("Look up another order", variant="ghost", on_click=PortalState.start_over),
                        align="center", wrap="wrap",
                        spacing="3", width="100%"),
                rx.vstack(
                    rx.heading("Find your order", size="7"),
                    rx.text("Enter the receipt number from your purchase email and the email address you used. "
                            "No account is needed.", color_scheme="gray"),
                    rx.form(
                        rx.flex(
                            lookup_field("Receipt number", "receipt", PortalState.receipt_error,
                                         placeholder="e.g. K7Q2M9XA", auto_complete="off", spell_check=False),
                            lookup_field("Email", "email", PortalState.email_error, type="email",
                                         auto_complete="email"),
                            rx.button("Look up", type="submit"),
                            spacing="3", wrap="wrap", align="end", width="100%"),
                        on_submit=PortalState.lookup, reset_on_submit=False, width="100%"),
                    spacing="4", width="100%")),
        rx.cond(PortalState.error != "", rx.callout(PortalState.error, color_scheme="red", role="alert")),
        rx.cond(PortalState.found, order_card()),
        rx.cond(PortalState.found, open_ticket_form()),
        ask_form(),
    )
