"""The Stripe gateway (stripe SDK): customer + PaymentMethod at checkout, off-session
PaymentIntents for charges, Refunds, idempotency keys on every call, and lookup by
metadata to reconcile after a crash (needed against localstripe, which ignores keys).

No card data on the server: `setup` makes a SetupIntent whose client secret the page
confirms with Stripe.js (`confirmCardSetup` / `confirmSepaDebitSetup`, so 3-D Secure and
the SEPA mandate happen in the browser), and `save_method` takes only the resulting
PaymentMethod id, attaches it to a new customer and reads last4/expiry back from Stripe.
Cards and SEPA direct debit (ELV) only: PayPal is not collected through this gateway."""

from __future__ import annotations

import stripe

from cbportal.services.billing.gateways.base import (
    METHOD_TYPES,
    GatewayResult,
    Outcome,
    PaymentInput,
    SavedMethod,
)
from cbportal.services.core.errors import Conflict, Invalid

INVALID_CARD_CODES = {"expired_card", "incorrect_number", "invalid_number", "invalid_expiry_month",
                      "invalid_expiry_year", "invalid_cvc", "incorrect_cvc", "lost_card", "stolen_card",
                      "pickup_card"}
KEY_FIELD = "cbp_key"


def _meta(obj) -> dict:
    metadata = getattr(obj, "metadata", None)
    return metadata.to_dict() if metadata else {}


def _decline_outcome(error: stripe.StripeError) -> str:
    body = getattr(error, "json_body", None) or {}
    codes = {getattr(error, "code", None), body.get("error", {}).get("decline_code")}
    return Outcome.INVALID_CARD if codes & INVALID_CARD_CODES else Outcome.INSUFFICIENT_FUNDS


def _refund_outcome(status: str | None) -> str:
    """Stripe's refund status: only `succeeded` means the money went back."""
    if status == "succeeded":
        return Outcome.REFUNDED
    if status in ("failed", "canceled"):
        return Outcome.ERROR
    return Outcome.PENDING          # pending, requires_action


def _unreachable(error: stripe.StripeError) -> Conflict:
    return Conflict("the payment provider could not be reached; please try again in a minute",
                    "gateway_unavailable")


class StripeGateway:
    name = "stripe"
    payment_types = ("card", "elv")
    accepts_card_data = False

    def __init__(self, *, api_key: str, api_base: str | None = None, publishable_key: str | None = None,
                 js_url: str = "https://js.stripe.com/v3/"):
        base = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(api_key, base_addresses=base, max_network_retries=0)
        self.publishable_key, self.js_url = publishable_key, js_url

    def browser_config(self) -> dict:
        return {"js_url": self.js_url, "key": self.publishable_key or ""}

    def setup(self, type: str) -> str:
        try:
            intent = self.client.v1.setup_intents.create(params={
                "payment_method_types": [METHOD_TYPES[type]], "usage": "off_session"})
        except stripe.StripeError as error:
            raise _unreachable(error) from error
        return intent.client_secret

    def save_method(self, payment: PaymentInput) -> SavedMethod:
        if payment.card_number or payment.cvc:
            raise Invalid("card details are collected by Stripe in the browser; send the payment method it "
                          "returned instead", "card_data_not_accepted")
        kind = METHOD_TYPES.get(payment.type)
        if kind is None:
            raise Invalid(f"{payment.type} is not available with this payment provider", "payment_type_unavailable")
        if not payment.payment_method or not payment.payment_method.startswith("pm_"):
            raise Invalid("a payment method from Stripe.js (pm_...) is needed", "payment_method_required")
        try:
            method = self.client.v1.payment_methods.retrieve(payment.payment_method)
        except stripe.InvalidRequestError:
            raise Invalid("the payment method is not known to the payment provider", "invalid_payment_method") from None
        except stripe.StripeError as error:
            raise _unreachable(error) from error
        if method.type != kind:
            raise Invalid(f"the payment method is a {method.type.replace('_', ' ')}, not {payment.type}",
                          "invalid_payment_method")
        details = getattr(method, kind).to_dict()
        last4 = details.get("last4")
        exp_month, exp_year = (details.get("exp_month"), details.get("exp_year")) if kind == "card" else (None, None)
        if getattr(method, "customer", None):
            # attached already (to another order's customer): a known id must not charge someone's card
            raise Invalid("the payment method is already in use; enter the details again", "invalid_payment_method")
        try:
            customer = self.client.v1.customers.create(params={"email": payment.email, "name": payment.name})
            self.client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
        except stripe.CardError:  # refused when attached: the card itself is not valid
            return SavedMethod(customer_ref=customer.id, method_ref="", last4=last4, exp_month=exp_month,
                               exp_year=exp_year, outcome=Outcome.INVALID_CARD)
        except stripe.StripeError as error:
            raise _unreachable(error) from error
        return SavedMethod(customer_ref=customer.id, method_ref=method.id, last4=last4,
                           exp_month=exp_month, exp_year=exp_year)

    def charge(self, *, customer_ref, method_ref, amount_cents, currency, idempotency_key, metadata=None):
        params = {"amount": amount_cents, "currency": currency.lower(), "customer": customer_ref,
                  "payment_method": method_ref, "off_session": True, "confirm": True,
                  "metadata": {**(metadata or {}), KEY_FIELD: idempotency_key}}
        try:
            intent = self.client.v1.payment_intents.create(params=params,
                                                           options={"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            return GatewayResult(outcome=_decline_outcome(error), message=str(error.user_message or error))
        if intent.status == "processing":  # a SEPA debit: submitted, settles in days; look it up later
            return GatewayResult(outcome=Outcome.PENDING, ref=intent.id, message=intent.status)
        if intent.status != "succeeded":
            return GatewayResult(outcome=Outcome.INSUFFICIENT_FUNDS, ref=intent.id, message=intent.status)
        return GatewayResult(outcome=Outcome.PAID, ref=intent.id)

    def refund(self, *, charge_ref, amount_cents, idempotency_key):
        if charge_ref.startswith("external_"):  # an old marker: no money was ever collected through Stripe
            return GatewayResult(outcome=Outcome.ERROR, message="this payment was never collected by Stripe; "
                                 "return the money another way and mark it refunded")
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": charge_ref, "amount": amount_cents,
                        "metadata": {KEY_FIELD: idempotency_key}},
                options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as error:
            return GatewayResult(outcome=Outcome.ERROR, message=str(error))
        return GatewayResult(outcome=_refund_outcome(refund.status), ref=refund.id, message=refund.status or "")

    def find(self, *, idempotency_key):
        """Look the payment up by its metadata: charges first, then refunds.

        Lists recent objects (localstripe has no search); against real Stripe this is
        bounded by the 100 most recent and should use the Search API at scale.
        """
        for intent in self.client.v1.payment_intents.list(params={"limit": 100}):
            if _meta(intent).get(KEY_FIELD) == idempotency_key:
                outcome = {"succeeded": Outcome.PAID, "processing": Outcome.PENDING}.get(
                    intent.status, Outcome.INSUFFICIENT_FUNDS)
                return GatewayResult(outcome=outcome, ref=intent.id)
        for refund in self.client.v1.refunds.list(params={"limit": 100}):
            if _meta(refund).get(KEY_FIELD) == idempotency_key:
                return GatewayResult(outcome=_refund_outcome(refund.status), ref=refund.id, message=refund.status or "")
        return None
