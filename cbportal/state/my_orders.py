"""All orders of one email address: asking for the signed link (emailed, never shown) and
the list page it opens (/portal/orders)."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal.db import get_engine, reader, session_scope
from cbportal.services.billing import my_orders
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.delivery import links
from cbportal.settings import get_settings
from cbportal.state.customer_words import customer_sentence

SENT = ("If we have orders for this address, we have just emailed it a link to all of them. "
        "It can take a minute to arrive.")


class OrderLink(TypedDict):
    receipt: str
    title: str
    vendor: str
    date: str
    status: str
    url: str


class MyOrdersState(rx.State):
    email: str = ""
    rows: list[OrderLink] = []
    found: bool = False
    error: str = ""
    ask_error: str = ""
    ask_notice: str = ""

    @rx.event
    def ask(self, form: dict):
        """Email the "my orders" link; the answer is the same whether or not orders exist."""
        self.ask_error, self.ask_notice = "", ""
        address = str(form.get("orders_email", "")).strip()
        if not address:
            self.ask_error = "Enter the email address you used when buying."
            return
        settings = get_settings()
        try:
            with session_scope() as session:
                my_orders.request_link(session, now=get_clock().now(), email=address, base_url=settings.base_url,
                                       secret=settings.secret)
        except ServiceError as error:
            self.ask_error = customer_sentence(error)
            return
        self.ask_notice = SENT

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        email, sig = params.get("email", ""), params.get("sig", "")
        self.found, self.error, self.rows = False, "", []
        if not links.check_my_orders_signature(get_settings().secret, email, sig):
            self.error = "This link is not valid. Ask for a new one on the order page."
            return
        with reader(get_engine()) as session:
            self.rows = [OrderLink(**r) for r in my_orders.order_list(session, email=email,
                                                                      secret=get_settings().secret)]
        self.email, self.found = email, True
