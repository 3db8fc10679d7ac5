"""Card update page, reached by the signed link in billing-failure emails (RULES R6)."""

from __future__ import annotations

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.services import checkout, links, orders
from cbportal.services.clock import get_clock
from cbportal.state.session import sentence
from cbportal.services.errors import ServiceError
from cbportal.services.gateways import PaymentInput, get_gateway
from cbportal.settings import get_settings
from cbportal.state.checkout import _int


class CardState(rx.State):
    receipt: str = ""
    email: str = ""
    sig: str = ""
    valid: bool = False
    title: str = ""
    status: str = ""
    error: str = ""
    notice: str = ""

    def _check(self) -> bool:
        return links.check_card_signature(get_settings().secret, self.receipt, self.email, self.sig)

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        self.receipt, self.email, self.sig = params.get("receipt", ""), params.get("email", ""), params.get("sig", "")
        self.error, self.notice, self.valid = "", "", False
        if not self._check():
            self.error = "This link is not valid. Open it again from your email."
            return
        with reader(get_engine()) as session:
            view = orders.order_view(session, orders.customer_lookup(session, receipt=self.receipt, email=self.email))
        self.title = view["title"]
        self.status = (view["subscription"] or {}).get("status", "")
        self.valid = True

    @rx.event
    def save(self, form: dict):
        self.error, self.notice = "", ""
        if not self._check():
            self.error = "This link is not valid."
            return
        get = lambda k: str(form.get(k, "")).strip()  # noqa: E731
        try:
            outcome = checkout.update_card(
                get_engine(), now=get_clock().now(), gateway=get_gateway(), receipt=self.receipt, email=self.email,
                payment=PaymentInput(type="card", card_number=get("card_number").replace(" ", ""),
                                     exp_month=_int(get("exp_month")), exp_year=_int(get("exp_year")),
                                     cvc=get("cvc") or None))
        except ServiceError as error:
            self.error = sentence(error)
            return
        self.status = "active" if outcome == "charged" else self.status
        self.notice = ("Thank you: your new card was charged and your subscription continues."
                       if outcome == "charged" else "Your new card is saved for the next payment.")
