"""Checkout page: the product's terms stated plainly, then the payment."""

from __future__ import annotations

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.services import checkout, links
from cbportal.services.clock import get_clock
from cbportal.state.session import sentence
from cbportal.services.errors import ServiceError
from cbportal.services.gateways import PaymentInput, get_gateway
from cbportal.settings import get_settings


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


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

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        self.sku, self.affiliate, self.error, self.found = params.get("sku", ""), params.get("aff", ""), "", False
        try:
            with reader(get_engine()) as session:
                view = checkout.terms_summary(session, sku=self.sku, now=get_clock().now())
        except ServiceError:
            self.error = "This product is not for sale."
            return
        self.title, self.vendor, self.today, self.terms = view["title"], view["vendor"], view["today"], view["terms"]
        self.physical, self.ship_to, self.found = view["physical"], view["ship_to"], True

    @rx.event
    def choose_pay_type(self, value: str):
        if value in ("card", "paypal", "elv"):
            self.pay_type = value

    @rx.event
    def pay(self, form: dict):
        self.error = ""
        get = lambda k: str(form.get(k, "")).strip()  # noqa: E731
        payment = PaymentInput(type=self.pay_type, card_number=get("card_number").replace(" ", "") or None,
                               exp_month=_int(get("exp_month")), exp_year=_int(get("exp_year")), cvc=get("cvc") or None)
        address = None
        if self.physical:
            address = {k: get(k) for k in ("line1", "city", "postal_code")} | {"name": get("name"), "country": get("country")}
        try:
            receipt = checkout.checkout(get_engine(), now=get_clock().now(), gateway=get_gateway(), sku=self.sku,
                                        customer=checkout.CustomerInput(get("email"), get("name"), get("country")),
                                        payment=payment, affiliate=self.affiliate or None, shipping_address=address)
        except ServiceError as error:
            self.error = sentence(error)
            return
        return rx.redirect(links.customer_order_url("", get_settings().secret, receipt, get("email")))
