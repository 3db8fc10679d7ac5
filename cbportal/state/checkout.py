"""Checkout page: the product's terms stated plainly, then the payment. Card and IBAN details
never reach this state: `pay` checks the form (state/checkout_form.py) and asks the gateway for a
client secret, the browser confirms it (state/browser_pay.py), `pay_with` gets the payment method id."""

from __future__ import annotations

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.services.billing import checkout, offers
from cbportal.services.billing.gateways import PaymentInput, get_gateway
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.state import checkout_form
from cbportal.state.browser_pay import BROWSER_ZONE, confirm_in_browser, confirmed
from cbportal.state.customer_words import customer_sentence
from cbportal.state.offers import after_checkout_url


class CheckoutState(rx.State):
    sku: str = ""
    affiliate: str = ""
    found: bool = False
    error: str = ""
    busy: bool = False
    title: str = ""
    vendor: str = ""
    today: str = ""
    terms: str = ""
    physical: bool = False
    ship_to: str = ""
    pay_type: str = "card"
    country: str = ""
    email_error: str = ""
    name_error: str = ""
    country_error: str = ""
    address_error: str = ""
    card_error: str = ""
    offer_paypal: bool = False
    offer_elv: bool = False
    js_url: str = ""
    js_key: str = ""
    _form: dict = {}
    _zone: str = ""
    _currency: str = ""

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        self.sku, self.affiliate, self.error, self.found = params.get("sku", ""), params.get("aff", ""), "", False
        self.busy, self.pay_type, self.country = False, "card", ""
        self._mark(checkout_form.UNMARKED)
        try:
            with reader(get_engine()) as session:
                view = checkout.terms_summary(session, sku=self.sku, now=get_clock().now())
        except ServiceError:
            self.error = "This product is not for sale."
            return
        self.title, self.vendor, self.today, self.terms = view["title"], view["vendor"], view["today"], view["terms"]
        self.physical, self.ship_to, self._currency = view["physical"], view["ship_to"], view["currency"]
        self.found = True
        config = get_gateway().browser_config()
        self.js_url, self.js_key = config["js_url"], config["key"]
        self._offer("")
        return rx.call_script(BROWSER_ZONE, callback=CheckoutState.set_zone)

    @rx.event
    def set_zone(self, zone: str):
        """The buyer's time zone, from the browser: their ticket emails give times in it."""
        self._zone = str(zone or "")[:64]

    def _offer(self, country: str) -> None:
        types = checkout_form.payment_types(get_gateway(), country, self._currency)
        self.offer_paypal, self.offer_elv = "paypal" in types, "elv" in types
        if self.pay_type not in types:
            self.pay_type = "card"

    def _mark(self, fields: dict[str, str]) -> None:
        """Show each field's message ("email" -> `email_error`, ...)."""
        for field, text in fields.items():
            setattr(self, f"{field}_error", text)

    @rx.event
    def choose_country(self, value: str):
        self.country, self.country_error = str(value)[:2].upper(), ""
        self._offer(self.country)

    @rx.event
    def clear_error(self, field: str):
        """The buyer left a field they were told to fix: its message goes until the next try."""
        if field in checkout_form.UNMARKED:
            self._mark({field: ""})

    @rx.event
    def choose_pay_type(self, value: str):
        if value in ("card", "paypal", "elv"):
            self.pay_type = value

    @rx.event
    def pay(self, form: dict):
        self.error = ""
        self._mark(checkout_form.UNMARKED)
        if self.busy:
            return
        self._form = checkout_form.read(form, self.country)
        problems = checkout_form.problems(self._form, self.physical)
        if problems:
            self._mark(problems)
            self.error = "Please check the fields marked below."
            return
        if self.pay_type == "paypal":
            return self._place(None)
        try:
            checkout.validate_customer(checkout_form.customer(self._form), self.affiliate or None)
            secret = checkout.payment_setup(get_gateway(), type=self.pay_type, country=self._form["country"])
        except ServiceError as error:
            self.error = customer_sentence(error)
            return
        self.busy = True
        return confirm_in_browser(self.pay_type, secret, {"name": self._form["name"], "email": self._form["email"]},
                                  CheckoutState.pay_with)

    @rx.event
    def pay_with(self, result: dict):
        """The browser's answer: {id: payment method} or {error: what the payment provider said}."""
        self.busy = False
        method, refused = confirmed(result)
        if refused:
            self.error, self.card_error = refused, checkout_form.CARD_NOT_CONFIRMED
            return
        if not self._form:
            self.error = "Please fill in the form again."
            return
        return self._place(method)

    def _place(self, token: str | None):
        typed = self._form
        try:  # issue 17: the order bump, when ticked, is a second order on the same payment (billing/offers.py)
            receipt = offers.checkout_with_bump(get_engine(), now=get_clock().now(), gateway=get_gateway(),
                                                sku=self.sku, customer=checkout_form.customer(typed),
                                                payment=PaymentInput(type=self.pay_type, payment_method=token),
                                                affiliate=self.affiliate or None,
                                                shipping_address=checkout_form.shipping_address(typed, self.physical),
                                                time_zone=self._zone or None, bump=typed.get("bump") == "on",
                                                understood=typed.get("bump_understood") == "on")[0]
            with reader(get_engine()) as session:
                has_upsells = bool(offers.offers_for(session, sku=self.sku, now=get_clock().now())["upsells"])
        except ServiceError as error:
            self.error = customer_sentence(error)
            self._mark(checkout_form.refused_fields(error))
            return
        email, self._form = typed.get("email", ""), {}
        return rx.redirect(after_checkout_url(receipt, email, has_upsells))
