"""A countdown to a UTC deadline that ticks in the browser (assets/countdown.js)."""

import reflex as rx


def countdown(deadline: rx.Var[str], done: str = "processing now") -> rx.Component:
    """An empty span the browser script fills with the time left until `deadline`."""
    return rx.el.span(custom_attrs={"data-deadline": deadline, "data-done": done},
                      style={"fontVariantNumeric": "tabular-nums", "fontWeight": 600})
