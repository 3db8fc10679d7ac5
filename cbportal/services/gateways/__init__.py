"""Payment gateways behind one interface (RULES R6).

Every charge and refund carries an idempotency key derived from what it pays for.
Callers record the attempt and its key before the call (`PaymentAttempt`), hold
no database transaction across the call, and after a crash ask `find` before
calling again, because a gateway may not honour keys (localstripe does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Outcome:
    PAID = "paid"
    REFUNDED = "refunded"
    INSUFFICIENT_FUNDS = "insufficient_funds"   # authorization failure: retry later
    INVALID_CARD = "invalid_card"               # card validation failure: ask for a new card
    ERROR = "error"


@dataclass(frozen=True)
class PaymentInput:
    """What the customer typed at checkout or on the card-update page."""
    type: str                      # card | paypal | elv
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

    def save_method(self, payment: PaymentInput) -> SavedMethod: ...

    def charge(self, *, customer_ref: str | None, method_ref: str, amount_cents: int, currency: str,
               idempotency_key: str, metadata: dict | None = None) -> GatewayResult: ...

    def refund(self, *, charge_ref: str, amount_cents: int, idempotency_key: str) -> GatewayResult: ...

    def find(self, *, idempotency_key: str) -> GatewayResult | None:
        """What became of an earlier call with this key, or None if it never reached the gateway."""
        ...


def get_gateway(name: str | None = None) -> Gateway:
    from cbportal.settings import get_settings

    settings = get_settings()
    name = name or settings.payments
    if name == "stripe":
        from cbportal.services.gateways.stripe_gateway import StripeGateway

        return StripeGateway(api_key=settings.stripe_api_key, api_base=settings.stripe_api_base)
    from cbportal.db import get_engine
    from cbportal.services.clock import get_clock
    from cbportal.services.gateways.sandbox import SandboxGateway

    return SandboxGateway(get_engine(), get_clock())
