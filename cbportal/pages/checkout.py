"""Checkout page per product: terms in plain words before paying, then the payment
(card or IBAN collected by Stripe.js or the sandbox stand-in, never by this page's form).
One column on narrow screens; each field shows its own error (aria-invalid)."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.forms import field, field_error
from cbportal.components.layout import public_page
from cbportal.components.offers import bump_box
from cbportal.components.page import PUBLIC
from cbportal.components.payment import card_box, iban_box, payment_area
from cbportal.services.core import countries
from cbportal.state.checkout import CheckoutState
from cbportal.state.checkout import CheckoutState as S


def country_picker() -> rx.Component:
    """Countries by name (pycountry); the form sends the two-letter code."""
    return rx.vstack(
        rx.el.label("Country", html_for="country", style={"fontWeight": 500}),
        rx.el.select(
            rx.el.option("Choose your country", value="", disabled=True),
            *[rx.el.option(name, value=code) for code, name in countries.choices()],
            id="country", name="country", value=S.country, on_change=S.choose_country, auto_complete="country",
            aria_invalid=rx.cond(S.country_error != "", "true", "false"), aria_describedby="country-error",
            style={"width": "100%", "padding": "6px 8px", "border": "1px solid var(--gray-a7)", "borderRadius": "6px",
                   "font": "inherit", "background": "var(--color-surface)", "minHeight": "2.25em"}),
        field_error("country", S.country_error),
        spacing="1", width="100%")


def pay_type_picker() -> rx.Component:
    return rx.vstack(
        rx.text("Pay with", weight="medium"),
        rx.select.root(rx.select.trigger(aria_label="Payment type", width="100%"),
                       rx.select.content(rx.select.item("Card", value="card"),
                                         rx.cond(S.offer_paypal, rx.select.item("PayPal", value="paypal")),
                                         rx.cond(S.offer_elv, rx.select.item("SEPA direct debit (ELV)", value="elv"))),
                       value=S.pay_type, on_change=S.choose_pay_type),
        spacing="1", width="100%")


def order_form() -> rx.Component:
    return rx.form(rx.vstack(
        field("Email", "email", S.email_error, S.clear_error("email"), type="email",
               auto_complete="email", input_mode="email"),
        field("Name", "name", S.name_error, S.clear_error("name"), auto_complete="name"),
        country_picker(),
        rx.cond(S.physical, rx.vstack(
            rx.text("Shipping address (ships to ", S.ship_to, ")", weight="medium"),
            field("Street", "line1", auto_complete="address-line1", on_blur=S.clear_error("address")),
            field("City", "city", auto_complete="address-level2"),
            field("Postal code", "postal_code", auto_complete="postal-code"),
            field_error("address", S.address_error),
            width="100%")),
        pay_type_picker(),
        payment_area(S.js_url, S.js_key,
                     rx.cond(S.pay_type == "card", card_box()),
                     rx.cond(S.pay_type == "elv", iban_box(S.vendor))),
        field_error("card", S.card_error),
        bump_box(),  # issue 17: the order bump with its terms (components/offers.py)
        rx.button("Pay now", type="submit", size="3", width="100%", loading=S.busy),
        spacing="3", width="100%"), on_submit=S.pay, reset_on_submit=False, width="100%")


@registered.page(routes.BUY, "Checkout", CheckoutState.load, area=PUBLIC)
def checkout_page() -> rx.Component:
    return public_page(
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.found, rx.box(
            rx.card(rx.vstack(
                rx.heading(S.title, size="6", style={"overflowWrap": "anywhere"}),
                rx.text("Sold by ", S.vendor, color_scheme="gray"),
                rx.heading(S.today, size="5"),
                rx.cond(S.terms != "", rx.callout(S.terms, color_scheme="indigo", role="note")),
                spacing="3"), min_width="0", width="100%"),
            rx.card(order_form(), min_width="0", width="100%"),
            display="grid", gap="1.5em", width="100%", align_items="start",
            grid_template_columns=rx.breakpoints(initial="minmax(0, 1fr)", sm="minmax(0, 1fr) minmax(0, 1fr)")),
            rx.cond(S.error == "", rx.hstack(rx.spinner(), rx.text("Loading…")))),
    )
