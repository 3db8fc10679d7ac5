"""Order bump and upsell in the browser (issue 17 point 2, services/billing/offers.py).

`BumpState` shows a product's order bump beside its checkout with its recurring terms;
its two boxes ("add", "I understand the recurring terms") are fields of the checkout form,
read by the checkout when it places the order. `UpsellState` is the page after payment
(`/buy/more`, reached by the signed order link): each upsell with its terms, added with
one click on the payment method just used, after the "I understand" box."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.services.billing import offers, orders
from cbportal.services.billing.gateways import get_gateway
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.delivery import links
from cbportal.settings import get_settings
from cbportal.state.session import sentence


class OfferRow(TypedDict):
    sku: str
    title: str
    today: str
    terms: str
    recurring: bool


class BumpState(rx.State):
    bump: list[OfferRow] = []          # zero or one row

    @rx.event
    def load_bump(self):
        sku = self.router.url.query_parameters.get("sku", "")
        self.bump = []
        try:
            with reader(get_engine()) as session:
                found = offers.offers_for(session, sku=sku, now=get_clock().now())["bump"]
        except ServiceError:
            return
        if found:
            self.bump = [OfferRow(sku=found["sku"], title=found["title"], today=found["today"], terms=found["terms"],
                                  recurring=bool(found["recurring"]))]


def after_checkout_url(receipt: str, email: str, has_upsells: bool) -> str:
    """Where the checkout sends the buyer: the upsell page when there are upsells, else the
    confirmation page (what was paid, what comes next)."""
    secret = get_settings().secret
    if not has_upsells:
        return links.confirmation_url("", secret, receipt, email)
    return links.customer_order_url("", secret, receipt, email).replace("/portal?", "/buy/more?", 1)


class UpsellState(rx.State):
    receipt: str = ""
    upsells: list[OfferRow] = []
    added: list[str] = []
    error: str = ""
    order_link: str = ""
    _email: str = ""

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        receipt, email, sig = params.get("receipt", ""), params.get("email", ""), params.get("sig", "")
        self.upsells, self.added, self.error, self.receipt, self._email = [], [], "", "", ""
        if not links.check_order_signature(get_settings().secret, receipt, email, sig):
            self.error = "This link is not valid. Open your order from the receipt email."
            return
        with reader(get_engine()) as session:
            try:
                order = orders.customer_lookup(session, receipt=receipt, email=email)
                sku = orders.order_view(session, order)["sku"]
                found = offers.offers_for(session, sku=sku, now=get_clock().now())["upsells"]
            except ServiceError as error:
                self.error = sentence(error)
                return
        self.receipt, self._email = receipt, email
        self.order_link = links.customer_order_url("", get_settings().secret, receipt, email)
        self.upsells = [OfferRow(sku=u["sku"], title=u["title"], today=u["today"], terms=u["terms"],
                                 recurring=bool(u["recurring"])) for u in found]

    @rx.event
    def accept(self, form: dict):
        sku = str(form.get("sku", ""))[:64]
        if not self.receipt or not self._email:
            self.error = "Open your order from the receipt email first."
            return
        try:
            new = offers.add_item(get_engine(), now=get_clock().now(), gateway=get_gateway(), receipt=self.receipt,
                                  email=self._email, sku=sku, kind="upsell",
                                  understood=str(form.get("understood", "")) == "on")
        except ServiceError as error:
            self.error = sentence(error)
            return
        self.error = ""
        title = next((u["title"] for u in self.upsells if u["sku"] == sku), sku)
        self.added = self.added + [f"{title} was added: order {new}."]
        self.upsells = [u for u in self.upsells if u["sku"] != sku]
