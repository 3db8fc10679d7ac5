"""The confirmation page after checkout (signed link, like the order page): what was paid,
what will be charged when, the receipt number, the order page and how to get help."""

from __future__ import annotations

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.services.billing import orders, purchase
from cbportal.services.core.errors import ServiceError
from cbportal.services.delivery import links
from cbportal.settings import get_settings


class ConfirmationState(rx.State):
    found: bool = False
    error: str = ""
    receipt: str = ""
    title: str = ""
    vendor: str = ""
    email: str = ""
    paid: str = ""
    next_charge: str = ""
    terms: str = ""
    order_url: str = ""
    contact: str = ""
    help: str = ""

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        receipt, email, sig = params.get("receipt", ""), params.get("email", ""), params.get("sig", "")
        self.found, self.error = False, ""
        if not links.check_order_signature(get_settings().secret, receipt, email, sig):
            self.error = "This link is not valid. Open your order from the receipt email instead."
            return
        try:
            with reader(get_engine()) as session:
                view = purchase.summary(session, orders.customer_lookup(session, receipt=receipt, email=email),
                                        base_url="", secret=get_settings().secret)
        except ServiceError:
            self.error = "We could not find this order. Open it from the receipt email instead."
            return
        for name in ("receipt", "title", "vendor", "email", "paid", "next_charge", "terms", "order_url", "contact",
                     "help"):
            setattr(self, name, view[name])
        self.found = True
