"""Checkout page per product: terms in plain words before paying, then the payment."""

import reflex as rx

from cbportal.components.layout import page
from cbportal.state.checkout import CheckoutState as S


def field(label: str, name: str, **props) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=name, style={"fontWeight": 500}),
                     rx.input(id=name, name=name, width="100%", **props), spacing="1", width="100%")


def checkout_page() -> rx.Component:
    return page(
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.found, rx.grid(
            rx.card(rx.vstack(
                rx.heading(S.title, size="6"), rx.text("Sold by ", S.vendor, color_scheme="gray"),
                rx.heading(S.today, size="5"),
                rx.cond(S.terms != "", rx.callout(S.terms, color_scheme="indigo", role="note")),
                spacing="3")),
            rx.card(rx.form(rx.vstack(
                field("Email", "email", type="email"), field("Name", "name"),
                field("Country (2 letters)", "country", max_length=2, placeholder="US"),
                rx.cond(S.physical, rx.vstack(
                    rx.text("Shipping address (ships to ", S.ship_to, ")", weight="medium"),
                    field("Street", "line1"), field("City", "city"), field("Postal code", "postal_code"),
                    width="100%")),
                rx.select.root(rx.select.trigger(aria_label="Payment type"),
                               rx.select.content(rx.select.item("Card", value="card"),
                                                 rx.select.item("PayPal", value="paypal"),
                                                 rx.select.item("ELV (direct debit)", value="elv")),
                               value=S.pay_type, on_change=S.choose_pay_type),
                rx.cond(S.pay_type == "card", rx.vstack(
                    field("Card number", "card_number", placeholder="4242 4242 4242 4242"),
                    rx.hstack(field("Month", "exp_month", placeholder="12"), field("Year", "exp_year", placeholder="2030"),
                              field("CVC", "cvc", placeholder="123"), width="100%"), width="100%")),
                rx.button("Pay now", type="submit", size="3", width="100%"),
                spacing="3", width="100%"), on_submit=S.pay, reset_on_submit=False)),
            columns="2", spacing="5", width="100%"),
            rx.cond(S.error == "", rx.hstack(rx.spinner(), rx.text("Loading…")))),
    )
