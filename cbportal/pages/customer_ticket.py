"""Customer ticket page (signed link): thread, reply, close, change type, escalate."""

import reflex as rx

from cbportal.components.layout import page
from cbportal.components.ticket_view import messages, thread, ticket_head
from cbportal.state.customer_ticket import CustomerTicketState as S


def actions() -> rx.Component:
    return rx.vstack(
        rx.form(rx.vstack(
            rx.text_area(name="body", placeholder="Write a reply", aria_label="Reply", width="100%"),
            rx.button("Send reply", type="submit"), width="100%"), on_submit=S.reply, reset_on_submit=True,
            width="100%"),
        rx.hstack(
            rx.cond(S.type != "tech_support",
                    rx.button("Withdraw: change to technical support", variant="soft",
                              on_click=S.change_type("tech_support"))),
            rx.cond(S.type == "tech_support",
                    rx.button("Change to a refund request", variant="soft", color_scheme="amber",
                              on_click=S.change_type("refund"))),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(rx.button("Close ticket", variant="outline", color_scheme="red")),
                rx.alert_dialog.content(
                    rx.alert_dialog.title("Close this ticket?"),
                    rx.alert_dialog.description("Nothing will be refunded or canceled by this ticket once closed."),
                    rx.hstack(rx.alert_dialog.cancel(rx.button("Keep it open", variant="soft")),
                              rx.alert_dialog.action(rx.button("Close ticket", color_scheme="red", on_click=S.close)),
                              justify="end", spacing="3"))),
            spacing="3", wrap="wrap"),
        width="100%", spacing="3")


def escalate_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.text("The vendor closed or changed this ticket. If you did not agree, ask platform staff to review it.",
                size="2"),
        rx.text_area(name="comment", placeholder="What happened?", aria_label="Escalation", width="100%"),
        rx.button("Escalate to platform staff", type="submit", color_scheme="amber"), width="100%"),
        on_submit=S.escalate, reset_on_submit=True), width="100%")


def customer_ticket() -> rx.Component:
    return page(
        messages(S),
        rx.cond(
            S.found,
            rx.vstack(
                ticket_head(S),
                thread(S.comments),
                rx.cond(S.status == "open", actions()),
                rx.cond(S.can_escalate, escalate_form()),
                rx.cond(S.escalated & ~S.can_escalate, rx.text("Escalated: platform staff are reviewing this ticket.")),
                spacing="4", width="100%"),
            rx.cond(S.error == "", rx.hstack(rx.spinner(), rx.text("Loading the ticket…"))),
        ),
    )
