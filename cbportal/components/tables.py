"""Table helpers shared by the pages: a wide table scrolls sideways inside its own box (the
page never does, at 390 px either), and a ticket type in words, never its code name."""

import reflex as rx


def wide(table: rx.Component) -> rx.Component:
    """`table` in a box that scrolls sideways on a narrow screen."""
    return rx.box(table, overflow_x="auto", width="100%")


def ticket_type_words(value) -> rx.Component:
    """A ticket type as people say it ("tech support"), from the type's code in a row."""
    return rx.match(value, ("tech_support", "tech support"), ("refund", "refund"), ("cancel", "cancel"), value)
