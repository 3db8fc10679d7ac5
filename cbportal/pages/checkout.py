"""Checkout page per product: terms in plain words before paying, then the payment
(card or IBAN collected by Stripe.js or the sandbox stand-in, never by this page's form)."""

import reflex as rx

from cbportal.components.layout import page
from cbportal.components.offers import bump_box
from cbportal.components.payment import card_box, iban_box, payment_area
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
                field("Country (2 letters)", "country", max_length=2, placeholder="US", on_change=S.choose_country),
                rx.cond(S.physical, rx.vstack(
                    rx.text("Shipping address (ships to ", S.ship_to, ")", weight="medium"),
                    field("Street", "line1"), field("City", "city"), field("Postal code", "postal_code"),
                    width="100%")),
                rx.select.root(rx.select.trigger(aria_label="Payment type"),
                               rx.select.content(rx.select.item("Card", value="card"),
                                                 rx.cond(S.offer_paypal, rx.select.item("PayPal", value="paypal")),
                                                 rx.cond(S.offer_elv, rx.select.item("SEPA direct debit (ELV)",
                                                                                     value="elv"))),
                               value=S.pay_type, on_change=S.choose_pay_type),
                payment_area(S.js_url, S.js_key,
                             rx.cond(S.pay_type == "card", card_box()),
                             rx.cond(S.pay_type == "elv", iban_box(S.vendor))),
                bump_box(),  # issue 17: the order bump with its terms (components/offers.py)
                rx.button("Pay now", type="submit", size="3", width="100%", loading=S.busy),
                spacing="3", width="100%"), on_submit=S.pay, reset_on_submit=False)),
            columns="2", spacing="5", width="100%"),
            rx.cond(S.error == "", rx.hstack(rx.spinner(), rx.text("Loading…")))),
    )
