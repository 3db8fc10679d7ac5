"""Customer ticket page (signed link): the thread with what each party did, reply, close
and change type (each behind a confirmation saying what the customer gives up), escalate.
Live: changes by the vendor or the worker show without a reload."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import public_page
from cbportal.components.page import PUBLIC
from cbportal.components.ticket_view import processing_banner, refund_pending_banner
from cbportal.state.customer_ticket import CustomerTicketState
from cbportal.state.customer_ticket import CustomerTicketState as S
from cbportal.state.ticket_rows import CustomerThreadRow

WITHDRAW_REFUND = ("Your refund request stops: nothing will be refunded and the vendor helps you with technical "
                   "support instead. If you change your mind later, a new refund request waits the full 24 business "
                   "hours again from then.")
WITHDRAW_CANCEL = ("Your cancelation request stops: the subscription continues and is charged as before. If you "
                   "change your mind later, a new cancelation request waits the full 24 business hours again.")
TO_REFUND = ("The vendor then has 24 business hours (weekends and the vendor's holidays do not count) to help "
             "before your latest payment is refunded; a subscription is canceled as well. You can withdraw the "
             "request before then.")
TO_REFUND_PHYSICAL = ("The vendor then has 19 days to help before your latest payment is refunded; a subscription "
                      "is canceled as well. You can withdraw the request before then.")
CLOSE_REFUND = "Your refund request ends here: nothing will be refunded, and this ticket cannot be reopened."
CLOSE_CANCEL = "Your cancelation request ends here: the subscription continues and is charged as before."
CLOSE_SUPPORT = "The conversation ends here. You can open a new ticket from your order page at any time."


def confirm(trigger: rx.Component, title: str, description, action_label: str, on_confirm,
            color: str = "red") -> rx.Component:
    """A button that asks first, saying what the customer gives up."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.flex(rx.alert_dialog.cancel(rx.button("Keep it as it is", variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(rx.button(action_label, color_scheme=color, on_click=on_confirm)),
                    justify="end", spacing="3", wrap="wrap", margin_top="1em"),
            max_width="28em"))


def thread_row(row: CustomerThreadRow) -> rx.Component:
    return rx.cond(
        row["kind"] == "comment",
        rx.card(rx.vstack(
            rx.hstack(rx.badge(row["author"]), rx.text(row["at"], size="1", color_scheme="gray"), align="center",
                      wrap="wrap"),
            rx.text(row["body"], white_space="pre-wrap", style={"overflowWrap": "anywhere"}), spacing="1"),
            width="100%"),
        rx.hstack(rx.icon("info", size=14, color="var(--gray-10)"),
                  rx.text(row["body"], " ", rx.text.span(row["at"], color_scheme="gray"), size="2",
                          color_scheme="gray"),
                  align="center", spacing="2", padding_x="0.5em", role="note"),
    )


def timeline() -> rx.Component:
    return rx.vstack(
        rx.heading("Conversation", size="4"),
        rx.text("Times are in your time zone (", S.zone, ").", size="1", color_scheme="gray"),
        rx.cond(S.thread.length() > 0, rx.foreach(S.thread, thread_row),
                rx.text("No messages yet.", color_scheme="gray")),
        spacing="2", width="100%", aria_live="polite")


def actions() -> rx.Component:
    return rx.vstack(
        rx.form(rx.vstack(
            rx.el.label("Your reply", html_for="reply-body", style={"fontWeight": 500}),
            rx.text_area(id="reply-body", name="body", width="100%"),
            rx.button("Send reply", type="submit"), width="100%"), on_submit=S.reply, reset_on_submit=True,
            width="100%"),
        rx.flex(
            rx.cond(S.type != "tech_support",
                    confirm(rx.button("Withdraw: change to technical support", variant="soft"),
                            "Withdraw your request?",
                            rx.cond(S.type == "refund", WITHDRAW_REFUND, WITHDRAW_CANCEL),
                            "Withdraw the request", S.change_type("tech_support"), color="amber")),
            rx.cond(S.type == "tech_support",
                    confirm(rx.button("Change to a refund request", variant="soft", color_scheme="amber"),
                            "Ask for a refund?", rx.cond(S.physical, TO_REFUND_PHYSICAL, TO_REFUND),
                            "Ask for a refund", S.change_type("refund"), color="amber")),
            confirm(rx.button("Close ticket", variant="outline", color_scheme="red"), "Close this ticket?",
                    rx.match(S.type, ("refund", CLOSE_REFUND), ("cancel", CLOSE_CANCEL), CLOSE_SUPPORT),
                    "Close ticket", S.close),
            spacing="3", wrap="wrap"),
        width="100%", spacing="3")


def escalate_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.text("The vendor closed or changed this ticket. If you did not agree, ask platform staff to review it.",
                size="2"),
        rx.el.label("What happened?", html_for="escalation", style={"fontWeight": 500}),
        rx.text_area(id="escalation", name="comment", width="100%"),
        rx.button("Escalate to platform staff", type="submit", color_scheme="amber"), width="100%"),
        on_submit=S.escalate, reset_on_submit=True), width="100%")


def head() -> rx.Component:
    return rx.fragment(
        rx.heading(S.type_title, " #", S.ticket_id, size="7"),
        rx.flex(rx.badge(S.status_words, size="2", color_scheme=rx.cond(S.status == "open", "green", "gray")),
                rx.text("Order ", rx.code(S.receipt)),
                rx.link("Back to your order", href=S.order_url),
                rx.cond(S.live, rx.text("Updates appear here as they happen.", size="1", color_scheme="gray")),
                align="center", spacing="3", wrap="wrap"),
        processing_banner(S.type, S.status, S.process_at, S.process_why, S.refund_status),
        refund_pending_banner(S.refund_status),
        rx.cond(S.status == "closed", rx.callout(
            rx.text("This ticket is closed: ", S.close_words, ". ",
                    rx.link("Go to your order", href=S.order_url), " to see your bills or open a new ticket."),
            color_scheme="gray", width="100%")))


@registered.page(routes.PORTAL_TICKET, "Your ticket", CustomerTicketState.load, area=PUBLIC)
def customer_ticket() -> rx.Component:
    return public_page(
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.notice != "", rx.callout(S.notice, color_scheme="green", role="status")),
        rx.cond(
            S.found,
            rx.vstack(
                head(),
                timeline(),
                rx.cond(S.status == "open", actions()),
                rx.cond(S.can_escalate, escalate_form()),
                rx.cond(S.escalated & ~S.can_escalate, rx.text("Escalated: platform staff are reviewing this ticket.")),
                spacing="4", width="100%"),
            rx.cond(S.error == "", rx.hstack(rx.spinner(), rx.text("Loading the ticket…"))),
        ),
    )
