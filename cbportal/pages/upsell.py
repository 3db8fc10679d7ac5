"""After payment (issue 17 point 2): one-click upsells, each with its recurring terms and
an "I understand" box, charged on the payment method just used (`/buy/more`)."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import page
from cbportal.components.page import PUBLIC
from cbportal.state.offers import OfferRow, UpsellState
from cbportal.state.offers import UpsellState as S


def _offer(row: OfferRow) -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading(row["title"], size="4"), rx.text(row["today"], weight="medium"),
        rx.cond(row["terms"] != "", rx.callout(row["terms"], color_scheme="indigo", role="note")),
        rx.el.input(type="hidden", name="sku", value=row["sku"]),
        rx.cond(row["recurring"], rx.el.label(
            rx.el.input(type="checkbox", name="understood", id="understood-" + row["sku"]),
            " I understand the recurring terms", html_for="understood-" + row["sku"],
            style={"display": "flex", "gap": "0.5em"})),
        rx.button(rx.text("Add ", row["title"], " with one click"), type="submit", width="100%"),
        spacing="2", width="100%"), on_submit=S.accept, reset_on_submit=False), width="100%")


@registered.page(routes.BUY_MORE, "Add to your order", UpsellState.load, area=PUBLIC)
def upsell_page() -> rx.Component:
    return page(
        rx.heading("Thank you for your order", size="7"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.foreach(S.added, lambda line: rx.callout(line, color_scheme="green", role="status")),
        rx.cond(S.upsells.length() > 0, rx.vstack(
            rx.text("You may also add, on the same payment method:"),
            rx.foreach(S.upsells, _offer), spacing="3", width="100%")),
        rx.cond(S.order_link != "", rx.link("Go to your order", href=S.order_link)),
    )
