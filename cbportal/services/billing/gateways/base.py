"""The gateway interface (RULES R6): outcomes, inputs, results and the protocol every
gateway implements. See the package docstring for the rules callers follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Outcome:
    PAID = "paid"
    REFUNDED = "refunded"
    INSUFFICIENT_FUNDS = "insufficient_funds"   # authorization failure: retry later
    INVALID_CARD = "invalid_card"               # card validation failure: ask for a new card
    PENDING = "pending"                         # not decided yet (a refund in flight, a SEPA debit): look it up later
    ERROR = "error"                             # refused (a refund the gateway would not make)


# Direct debit (ELV, SEPA) is offered only where customers use it.
SEPA_COUNTRIES = ("DE", "AT", "NL")
# What each payment type is called by the browser-side tokenizer (Stripe's PaymentMethod types).
METHOD_TYPES = {"card": "card", "elv": "sepa_debit"}


@dataclass(frozen=True)
class PaymentInput:
    """What the customer typed at checkout or on the card-update page."""
    type: str                      # card | paypal | elv
    payment_method: str | None = None   # the token the browser got from the gateway's tokenizer
    card_number: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    cvc: str | None = None
    email: str = ""
    name: str = ""


@dataclass(frozen=True)
class SavedMethod:
    customer_ref: str | None
    method_ref: str
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    outcome: str = Outcome.PAID      # INVALID_CARD when the gateway refused the card at once


@dataclass(frozen=True)
class GatewayResult:
    outcome: str
    ref: str | None = None
    message: str = ""
    metadata: dict = field(default_factory=dict)


class Gateway(Protocol):
    name: str
    payment_types: tuple[str, ...]      # what this gateway really collects
    accepts_card_data: bool             # raw card fields on the server (the sandbox only)

    def setup(self, type: str) -> str:
        """A client secret for the browser to confirm a new payment method with (a SetupIntent)."""
        ...

    def browser_config(self) -> dict:
        """{"js_url", "key"}: the Stripe.js (or stand-in) the pages load, and its publishable key."""
        ...

    def save_method(self, payment: PaymentInput) -> SavedMethod: ...

    def charge(self, *, customer_ref: str | None, method_ref: str, amount_cents: int, currency: str,
               idempotency_key: str, metadata: dict | None = None) -> GatewayResult: ...

    def refund(self, *, charge_ref: str, amount_cents: int, idempotency_key: str) -> GatewayResult: ...

    def find(self, *, idempotency_key: str) -> GatewayResult | None:
        """What became of an earlier call with this key, or None if it never reached the gateway."""
        ...


def offered_types(gateway: Gateway, country: str | None) -> list[str]:
    """The payment types a customer from `country` may choose with this gateway."""
    country = (country or "").strip().upper()
    return [t for t in gateway.payment_types if t != "elv" or country in SEPA_COUNTRIES]
