"""All your orders (the signed "my orders" link), and the form that emails that link."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import public_page
from cbportal.components.page import PUBLIC
from cbportal.state.my_orders import MyOrdersState, OrderLink
from cbportal.state.my_orders import MyOrdersState as S


def ask_form() -> rx.Component:
    """On the portal: email me a link to all my orders."""
    return rx.card(rx.form(rx.vstack(
        rx.heading("All your orders", size="4"),
        rx.text("Lost a receipt number? We email you a link to every order you made with this address.",
                color_scheme="gray", size="2"),
        rx.flex(
            rx.vstack(rx.el.label("Send the link to", html_for="orders-email", style={"fontWeight": 500}),
                      rx.input(id="orders-email", name="orders_email", type="email", auto_complete="email",
                               width="100%", aria_describedby="orders-email-error",
                               aria_invalid=rx.cond(S.ask_error != "", "true", "false")),
                      spacing="1", flex="1 1 12em", min_width="0"),
            rx.button("Email me the link", type="submit", variant="soft"),
            spacing="3", wrap="wrap", align="end", width="100%"),
        rx.cond(S.ask_error != "", rx.text(S.ask_error, id="orders-email-error", color_scheme="red", size="2")),
        rx.cond(S.ask_notice != "", rx.callout(S.ask_notice, color_scheme="green", role="status")),
        spacing="3", width="100%"), on_submit=S.ask, reset_on_submit=False), width="100%")


def order_row(row: OrderLink) -> rx.Component:
    return rx.card(rx.flex(
        rx.vstack(rx.text(row["title"], weight="medium"),
                  rx.text(row["date"], " · ", row["vendor"], " · ", row["status"], size="2", color_scheme="gray"),
                  spacing="1", min_width="0"),
        rx.spacer(),
        rx.link(rx.button("Open order ", row["receipt"], variant="soft"), href=row["url"]),
        spacing="3", wrap="wrap", align="center", width="100%"), width="100%")


@registered.page(routes.PORTAL_ORDERS, "Your orders", MyOrdersState.load, area=PUBLIC)
def my_orders_page() -> rx.Component:
    return public_page(
        rx.heading("Your orders", size="7"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.found, rx.vstack(
            rx.text("Every order made with ", rx.text.strong(S.email), ", newest first.", color_scheme="gray"),
            rx.cond(S.rows.length() > 0, rx.foreach(S.rows, order_row), rx.text("No orders yet.")),
            spacing="3", width="100%")),
    )
