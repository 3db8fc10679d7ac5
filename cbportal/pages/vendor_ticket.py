"""Vendor ticket detail: thread, reply, close or change with the customer's consent."""

import reflex as rx

from cbportal import routes
from cbportal.components.layout import page
from cbportal.components.ticket_view import messages, thread, ticket_head
from cbportal.state.vendor_tickets import VendorTicketState as S

CONSENT = "The customer agreed to this"


def change_forms() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("Save the sale", size="4"),
        rx.text("You may close or change this ticket only with the customer's consent. A customer who did not "
                "agree can escalate it to platform staff.", size="2", color_scheme="gray"),
        rx.form(rx.hstack(
            rx.select.root(rx.select.trigger(placeholder="New type", aria_label="New type"),
                           rx.select.content(rx.select.item("Technical support", value="tech_support"),
                                             rx.select.item("Refund", value="refund"),
                                             rx.select.item("Cancelation", value="cancel")), name="type"),
            rx.el.label(rx.hstack(rx.checkbox(name="consent"), rx.text(CONSENT)), aria_label=CONSENT),
            rx.button("Change type", type="submit", variant="soft"), spacing="3", align="center", wrap="wrap"),
            on_submit=S.change_type, reset_on_submit=True),
        rx.form(rx.hstack(
            rx.el.label(rx.hstack(rx.checkbox(name="consent"), rx.text(CONSENT))),
            rx.button("Close ticket", type="submit", color_scheme="red", variant="outline"), spacing="3",
            align="center"), on_submit=S.close, reset_on_submit=True),
        spacing="3", width="100%"), width="100%")


def vendor_ticket() -> rx.Component:
    return page(
        rx.hstack(rx.link("← All tickets", href=routes.VENDOR_TICKETS), rx.spacer(),
                  rx.cond(S.live, rx.badge("● Live", color_scheme="green", data_testid="live-badge")), width="100%"),
        messages(S),
        rx.cond(
            S.found,
            rx.vstack(
                ticket_head(S, " · opened by ", S.opened_by),
                thread(S.comments),
                rx.cond(S.status == "open", rx.vstack(
                    rx.form(rx.vstack(
                        rx.text_area(name="body", placeholder="Reply to the customer", aria_label="Reply",
                                     width="100%"),
                        rx.button("Send reply", type="submit"), width="100%"), on_submit=S.reply,
                        reset_on_submit=True, width="100%"),
                    change_forms(), width="100%", spacing="4")),
                spacing="4", width="100%"),
            rx.cond(S.error == "", rx.hstack(rx.spinner(), rx.text("Loading the ticket…"))),
        ),
        rx.box(on_unmount=S.stop_watching),
    )
