"""Ticket widgets shared by the customer and vendor pages: thread and processing banner."""

import reflex as rx

from cbportal.components.countdown import countdown

TYPE_LABEL = {"tech_support": "Technical support", "refund": "Refund", "cancel": "Cancelation"}


def comment(row) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.badge(row["author"]), rx.text(row["at"], " UTC", size="1", color_scheme="gray"), align="center"),
        rx.text(row["body"], white_space="pre-wrap"), spacing="1"), width="100%")


def thread(comments) -> rx.Component:
    return rx.vstack(rx.heading("Conversation", size="4"),
                     rx.cond(comments.length() > 0, rx.foreach(comments, comment),
                             rx.text("No messages yet.", color_scheme="gray")),
                     spacing="2", width="100%")


def refund_pending_banner(refund_status) -> rx.Component:
    """A refund begun and not yet confirmed by the payment processor (R3): never "refunded" before it is."""
    return rx.cond(refund_status == "pending", rx.callout(
        "Refund pending: the refund has been sent to the payment processor, which has not confirmed it yet. "
        "We keep checking and email both parties as soon as the money is on its way back.",
        color_scheme="amber", role="status", width="100%"))


def processing_banner(type_, status, process_at, process_why, refund_status="") -> rx.Component:
    """'Refund in 17 h 42 min — 24 business hours; weekend hours do not count.'"""
    return rx.cond(
        (status == "open") & (process_at != "") & (refund_status == ""),
        rx.callout(rx.hstack(
            rx.text(rx.match(type_, ("refund", "Refund"), ("cancel", "Cancelation"), "Processing"), " in "),
            countdown(process_at),
            rx.cond(process_why != "", rx.text("— ", process_why)), spacing="1", wrap="wrap"),
            color_scheme="amber", role="timer", width="100%"),
    )


def messages(S) -> rx.Component:
    """The error and notice callouts of a page state with `error` and `notice`."""
    return rx.fragment(
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.notice != "", rx.callout(S.notice, color_scheme="green", role="status")))


def ticket_head(S, *order_note) -> rx.Component:
    """Heading, badges, processing countdown and closed note of a ticket page state."""
    return rx.fragment(
        rx.heading("Ticket #", S.ticket_id, size="7"),
        rx.hstack(rx.badge(S.type, size="2"), rx.badge(S.status, size="2", color_scheme="gray"),
                  rx.text("Order ", rx.code(S.receipt), *order_note), align="center"),
        processing_banner(S.type, S.status, S.process_at, S.process_why, S.refund_status),
        refund_pending_banner(S.refund_status),
        rx.cond(S.status == "closed", rx.text("Closed (", S.close_reason, ").", color_scheme="gray")))
