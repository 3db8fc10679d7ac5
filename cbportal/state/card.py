"""Card update page, reached by the signed link in billing-failure emails (RULES R6).

Like checkout, the card is confirmed in the browser (Stripe.js or the sandbox stand-in);
`save` hands out the client secret and `save_with` gets only the payment method id."""

from __future__ import annotations

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.services.billing import checkout, orders
from cbportal.services.billing.gateways import PaymentInput, get_gateway
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.delivery import links
from cbportal.settings import get_settings
from cbportal.state.checkout import confirm_in_browser
from cbportal.state.customer_words import customer_sentence


class CardState(rx.State):
    receipt: str = ""
    email: str = ""
    sig: str = ""
    valid: bool = False
    title: str = ""
    status: str = ""
    error: str = ""
    notice: str = ""
    busy: bool = False
    js_url: str = ""
    js_key: str = ""

    def _check(self) -> bool:
        return links.check_card_signature(get_settings().secret, self.receipt, self.email, self.sig)

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        self.receipt, self.email, self.sig = params.get("receipt", ""), params.get("email", ""), params.get("sig", "")
        self.error, self.notice, self.valid, self.busy = "", "", False, False
        if not self._check():
            self.error = "This link is not valid. Open it again from your email."
            return
        with reader(get_engine()) as session:
            view = orders.order_view(session, orders.customer_lookup(session, receipt=self.receipt, email=self.email))
        self.title = view["title"]
        self.status = (view["subscription"] or {}).get("status", "")
        config = get_gateway().browser_config()
        self.js_url, self.js_key = config["js_url"], config["key"]
        self.valid = True

    @rx.event
    def save(self, form: dict):
        self.error, self.notice = "", ""
        if not self._check():
            self.error = "This link is not valid."
            return
        if self.busy:
            return
        try:
            secret = checkout.payment_setup(get_gateway(), type="card", country=None)
        except ServiceError as error:
            self.error = customer_sentence(error)
            return
        self.busy = True
        return confirm_in_browser("card", secret, {"email": self.email}, CardState.save_with)

    @rx.event
    def save_with(self, result: dict):
        """The browser's answer: {id: payment method} or {error: what the payment provider said}."""
        self.busy = False
        if not self._check():
            self.error = "This link is not valid."
            return
        result = result if isinstance(result, dict) else {}
        if result.get("error") or not result.get("id"):
            self.error = str(result.get("error") or "The card was not confirmed; please try again.")
            return
        try:
            outcome = checkout.update_card(
                get_engine(), now=get_clock().now(), gateway=get_gateway(), receipt=self.receipt, email=self.email,
                payment=PaymentInput(type="card", payment_method=str(result["id"])))
        except ServiceError as error:
            self.error = customer_sentence(error)
            return
        self.status = "active" if outcome == "charged" else self.status
        self.notice = {"charged": "Thank you: your new card was charged and your subscription continues.",
                       "pending": "Thank you: your payment is being processed."}.get(
            outcome, "Your new card is saved for the next payment.")
