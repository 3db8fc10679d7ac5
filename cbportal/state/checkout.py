"""Checkout page: the product's terms stated plainly, then the payment.

Card and IBAN details never reach this state: `pay` checks the order form and asks the
gateway for a client secret, the browser confirms it with Stripe.js (or the sandbox's
stand-in, `assets/cbp_pay.js`), and `pay_with` gets back only the payment method id."""

from __future__ import annotations

import json

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.services.billing import checkout, offers
from cbportal.services.billing.gateways import PaymentInput, get_gateway, offered_types
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.state.customer_words import customer_sentence
from cbportal.state.offers import after_checkout_url

BROWSER_ZONE = "Intl.DateTimeFormat().resolvedOptions().timeZone"
FORM_FIELDS = ("email", "name", "country", "line1", "city", "postal_code", "bump", "bump_understood")


def confirm_in_browser(kind: str, secret: str, billing: dict, callback) -> rx.event.EventSpec:
    """Run cbpPay.confirm in the page; `callback` gets {id} or {error}."""
    args = ", ".join(json.dumps(x) for x in (kind, secret, billing))
    return rx.call_script(f"window.cbpPay.confirm({args})", callback=callback)


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
        self._clear_errors()
        try:
            with reader(get_engine()) as session:
                view = checkout.terms_summary(session, sku=self.sku, now=get_clock().now())
        except ServiceError:
            self.error = "This product is not for sale."
            return
        self.title, self.vendor, self.today, self.terms = view["title"], view["vendor"], view["today"], view["terms"]
        self.physical, self.ship_to, self.found = view["physical"], view["ship_to"], True
        self._currency = view["currency"]
        config = get_gateway().browser_config()
        self.js_url, self.js_key = config["js_url"], config["key"]
        self._offer("")
        return rx.call_script(BROWSER_ZONE, callback=CheckoutState.set_zone)

    @rx.event
    def set_zone(self, zone: str):
        """The buyer's time zone, from the browser: their ticket emails give times in it."""
        self._zone = str(zone or "")[:64]

    def _offer(self, country: str) -> None:
        types = offered_types(get_gateway(), country)
        if self._currency.upper() != "EUR":   # SEPA debits are in euros
            types = [t for t in types if t != "elv"]
        self.offer_paypal, self.offer_elv = "paypal" in types, "elv" in types
        if self.pay_type not in types:
            self.pay_type = "card"

    def _clear_errors(self) -> None:
        self.email_error = self.name_error = self.country_error = self.address_error = self.card_error = ""

    @rx.event
    def choose_country(self, value: str):
        self.country = str(value)[:2].upper()
        self.country_error = ""
        self._offer(self.country)

    @rx.event
    def clear_error(self, field: str):
        """The buyer left a field they were told to fix: its message goes until the next try."""
        if field in ("email", "name", "country", "address", "card"):
            setattr(self, f"{field}_error", "")

    @rx.event
    def choose_pay_type(self, value: str):
        if value in ("card", "paypal", "elv"):
            self.pay_type = value

    @rx.event
    def pay(self, form: dict):
        self.error = ""
        self._clear_errors()
        if self.busy:
            return
        self._form = {k: str(form.get(k, "")).strip() for k in FORM_FIELDS}
        self._form["country"] = self._form["country"] or self.country
        problems = checkout.customer_problems(checkout.CustomerInput(self._form["email"], self._form["name"],
                                                                     self._form["country"]))
        if self.physical and not all(self._form[k] for k in ("line1", "city", "postal_code")):
            problems["address"] = "Enter the street, city and postal code the order ships to."
        if problems:
            self.email_error, self.name_error = problems.get("email", ""), problems.get("name", "")
            self.country_error, self.address_error = problems.get("country", ""), problems.get("address", "")
            self.error = "Please check the fields marked below."
            return
        if self.pay_type == "paypal":
            return self._place(None)
        try:
            checkout.validate_customer(checkout.CustomerInput(self._form["email"], self._form["name"],
                                                              self._form["country"]), self.affiliate or None)
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
        result = result if isinstance(result, dict) else {}
        if result.get("error") or not result.get("id"):
            self.error = str(result.get("error") or "The payment details were not confirmed; please try again.")
            self.card_error = "Nothing was charged. Check the card number, expiry date and security code, or use " \
                              "another card."
            return
        if not self._form:
            self.error = "Please fill in the form again."
            return
        return self._place(str(result["id"]))

    def _place(self, token: str | None):
        get = self._form.get
        address = None
        if self.physical:
            address = {k: get(k, "") for k in ("line1", "city", "postal_code")} | {"name": get("name", ""),
                                                                                  "country": get("country", "")}
        try:  # issue 17: the order bump, when ticked, is a second order on the same payment (billing/offers.py)
            receipt = offers.checkout_with_bump(get_engine(), now=get_clock().now(), gateway=get_gateway(),
                                                sku=self.sku,
                                                customer=checkout.CustomerInput(get("email", ""), get("name", ""),
                                                                                get("country", "")),
                                                payment=PaymentInput(type=self.pay_type, payment_method=token),
                                                affiliate=self.affiliate or None, shipping_address=address,
                                                time_zone=self._zone or None, bump=get("bump") == "on",
                                                understood=get("bump_understood") == "on")[0]
            with reader(get_engine()) as session:
                has_upsells = bool(offers.offers_for(session, sku=self.sku, now=get_clock().now())["upsells"])
        except ServiceError as error:
            self.error = customer_sentence(error)
            if error.code in ("card_refused", "payment_declined"):
                self.card_error = "Try another card, or check the number, expiry date and security code."
            elif error.code in ("invalid_address", "does_not_ship_there", "shipping_address_required"):
                self.address_error = customer_sentence(error)
            return
        email, self._form = get("email", ""), {}
        return rx.redirect(after_checkout_url(receipt, email, has_upsells))
