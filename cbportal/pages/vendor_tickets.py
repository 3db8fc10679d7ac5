"""Vendor tickets: the list with live countdowns, and opening a refund/cancel ticket."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.countdown import countdown
from cbportal.components.layout import page
from cbportal.components.tables import ticket_type_words, wide
from cbportal.pages.vendor_emails import email_samples_link
from cbportal.state.ticket_rows import TicketRow
from cbportal.state.vendor_tickets import VendorTicketsState
from cbportal.state.vendor_tickets import VendorTicketsState as S

REASONS = [("customer_request", "Customer request"), ("not_as_described", "Not as described"),
           ("technical_issue", "Technical issue"), ("duplicate_purchase", "Duplicate purchase"), ("other", "Other")]


def row(r: TicketRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("#", r["id"], href=routes.vendor_ticket(r["id"]))),
        rx.table.cell(r["account"]), rx.table.cell(rx.code(r["receipt"])),
        rx.table.cell(rx.badge(ticket_type_words(r["type"]))),
        rx.table.cell(r["opened_by"]), rx.table.cell(r["opened_at"]),
        rx.table.cell(rx.cond((r["status"] == "open") & (r["process_at"] != ""), countdown(r["process_at"]),
                              rx.text(r["status"], color_scheme="gray"))),
    )


def open_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("Refund or cancel an order", size="4"),
        rx.hstack(
            rx.input(name="receipt", placeholder="Receipt", aria_label="Receipt", default_value=S.prefill_receipt,
                     key=S.prefill_receipt),
            rx.select.root(rx.select.trigger(aria_label="Ticket type"),
                           rx.select.content(rx.select.item("Refund", value="refund"),
                                             rx.select.item("Cancel subscription", value="cancel")),
                           value=S.new_type, on_change=S.choose_new_type),
            rx.select.root(rx.select.trigger(placeholder="Reason", aria_label="Reason"),
                           rx.select.content(*[rx.select.item(label, value=v) for v, label in REASONS]),
                           name="reason", default_value="customer_request"),
            spacing="3", wrap="wrap"),
        rx.text_area(name="comment", placeholder="Note for the customer (optional)", aria_label="Note", width="100%"),
        rx.callout("It processes in 5 minutes (on the next business day if that falls on a weekend or a closed "
                   "day): the refund or cancelation happens then unless you close the ticket first.",
                   color_scheme="amber"),
        rx.button("Open ticket", type="submit"), spacing="3", width="100%"),
        on_submit=S.open_ticket, reset_on_submit=False), width="100%")


@registered.page(routes.VENDOR_TICKETS, "Tickets", VendorTicketsState.load, nav=("Tickets",))
def vendor_tickets() -> rx.Component:
    return page(
        rx.hstack(rx.heading("Tickets", size="7"),
                  rx.cond(S.live, rx.badge("● Live", color_scheme="green", data_testid="live-badge")), rx.spacer(),
                  rx.segmented_control.root(
                      rx.segmented_control.item("Open", value="open"),
                      rx.segmented_control.item("Closed", value="closed"),
                      rx.segmented_control.item("All", value="all"), value=S.status_filter, on_change=S.set_filter),
                  width="100%", align="center", wrap="wrap"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        email_samples_link(),  # issue 17: every email, rendered, and as one PDF
        rx.cond(
            S.loaded,
            rx.cond(S.rows.length() > 0,
                    wide(rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        "Ticket", "Account", "Receipt", "Type", "Opened by",
                        "Opened (account time)", "Processes in")])),
                        rx.table.body(rx.foreach(S.rows, row)), width="100%")),
                    rx.text("No tickets here.", color_scheme="gray")),
            rx.hstack(rx.spinner(), rx.text("Loading tickets…"))),
        open_form(),
        rx.box(on_unmount=S.stop_watching),
    )
