"""The Stripe gateway (stripe SDK): customer + PaymentMethod at checkout, off-session
PaymentIntents for charges, Refunds, idempotency keys on every call, and lookup by
metadata to reconcile after a crash (needed against localstripe, which ignores keys)."""

from __future__ import annotations

import stripe

from cbportal.services.gateways import GatewayResult, Outcome, PaymentInput, SavedMethod

INVALID_CARD_CODES = {"expired_card", "incorrect_number", "invalid_number", "invalid_expiry_month",
                      "invalid_expiry_year", "invalid_cvc", "incorrect_cvc", "lost_card", "stolen_card",
                      "pickup_card"}
KEY_FIELD = "cbp_key"


def _meta(obj) -> dict:
    metadata = getattr(obj, "metadata", None)
    return metadata.to_dict() if metadata else {}


def _decline_outcome(error: stripe.StripeError) -> str:
    codes = {getattr(error, "code", None), (getattr(error, "json_body", None) or {}).get("error", {}).get("decline_code")}
    return Outcome.INVALID_CARD if codes & INVALID_CARD_CODES else Outcome.INSUFFICIENT_FUNDS


class StripeGateway:
    name = "stripe"

    def __init__(self, *, api_key: str, api_base: str | None = None):
        base = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(api_key, base_addresses=base, max_network_retries=0)

    def save_method(self, payment: PaymentInput) -> SavedMethod:
        customer = self.client.v1.customers.create(params={"email": payment.email, "name": payment.name})
        if payment.type != "card":
            # PayPal and direct debit run through Stripe's redirect flows in production; here a
            # stored marker method stands for them.
            return SavedMethod(customer_ref=customer.id, method_ref=f"external_{payment.type}",
                               last4=None, exp_month=None, exp_year=None)
        try:
            method = self.client.v1.payment_methods.create(params={"type": "card", "card": {
                "number": payment.card_number, "exp_month": payment.exp_month,
                "exp_year": payment.exp_year, "cvc": payment.cvc or "123"}})
            self.client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
        except stripe.CardError:  # refused when attached: the card itself is not valid
            return SavedMethod(customer_ref=customer.id, method_ref="", last4=(payment.card_number or "")[-4:],
                               exp_month=payment.exp_month, exp_year=payment.exp_year,
                               outcome=Outcome.INVALID_CARD)
        return SavedMethod(customer_ref=customer.id, method_ref=method.id, last4=(payment.card_number or "")[-4:],
                           exp_month=payment.exp_month, exp_year=payment.exp_year)

    def charge(self, *, customer_ref, method_ref, amount_cents, currency, idempotency_key, metadata=None):
        if method_ref.startswith("external_"):
            return GatewayResult(outcome=Outcome.PAID, ref=f"{method_ref}:{idempotency_key}")
        params = {"amount": amount_cents, "currency": currency.lower(), "customer": customer_ref,
                  "payment_method": method_ref, "off_session": True, "confirm": True,
                  "metadata": {**(metadata or {}), KEY_FIELD: idempotency_key}}
        try:
            intent = self.client.v1.payment_intents.create(params=params,
                                                           options={"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            return GatewayResult(outcome=_decline_outcome(error), message=str(error.user_message or error))
        if intent.status != "succeeded":
            return GatewayResult(outcome=Outcome.INSUFFICIENT_FUNDS, ref=intent.id, message=intent.status)
        return GatewayResult(outcome=Outcome.PAID, ref=intent.id)

    def refund(self, *, charge_ref, amount_cents, idempotency_key):
        if charge_ref.startswith("external_"):
            return GatewayResult(outcome=Outcome.REFUNDED, ref=f"refund:{idempotency_key}")
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": charge_ref, "amount": amount_cents,
                        "metadata": {KEY_FIELD: idempotency_key}},
                options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as error:
            return GatewayResult(outcome=Outcome.ERROR, message=str(error))
        return GatewayResult(outcome=Outcome.REFUNDED if refund.status == "succeeded" else Outcome.ERROR,
                             ref=refund.id)

    def find(self, *, idempotency_key):
        """Look the payment up by its metadata: charges first, then refunds.

        Lists recent objects (localstripe has no search); against real Stripe this is
        bounded by the 100 most recent and should use the Search API at scale.
        """
        for intent in self.client.v1.payment_intents.list(params={"limit": 100}):
            if _meta(intent).get(KEY_FIELD) == idempotency_key:
                ok = intent.status == "succeeded"
                return GatewayResult(outcome=Outcome.PAID if ok else Outcome.INSUFFICIENT_FUNDS, ref=intent.id)
        for refund in self.client.v1.refunds.list(params={"limit": 100}):
            if _meta(refund).get(KEY_FIELD) == idempotency_key:
                return GatewayResult(outcome=Outcome.REFUNDED, ref=refund.id)
        return None
