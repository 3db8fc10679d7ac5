"""The order bump box inside the checkout form (issue 17 point 2): the offered item with
its recurring terms beside it, "add" and "I understand the recurring terms"."""

import reflex as rx

from cbportal.state.offers import BumpState, OfferRow


def _check(name: str, text) -> rx.Component:
    return rx.el.label(rx.el.input(type="checkbox", name=name, id=f"{name}-box"), " ", text,
                       html_for=f"{name}-box", style={"display": "flex", "gap": "0.5em", "alignItems": "baseline"})


def _bump(row: OfferRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.text("Add to your order: ", rx.text.strong(row["title"]), " — ", row["today"]),
        rx.cond(row["terms"] != "", rx.callout(row["terms"], color_scheme="indigo", size="1")),
        _check("bump", rx.text("Yes, add ", row["title"])),
        rx.cond(row["recurring"], _check("bump_understood", "I understand the recurring terms of the added item")),
        spacing="2", width="100%"), width="100%", data_testid="order-bump")


def bump_box() -> rx.Component:
    return rx.box(rx.foreach(BumpState.bump, _bump), on_mount=BumpState.load_bump, width="100%")
