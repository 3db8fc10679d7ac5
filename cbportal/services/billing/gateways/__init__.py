"""Payment gateways behind one interface (RULES R6).

Every charge and refund carries an idempotency key derived from what it pays for.
Callers record the attempt and its key before the call (`PaymentAttempt`), hold
no database transaction across the call, and after a crash ask `find` before
calling again, because a gateway may not honour keys (localstripe does not).

Card numbers never reach the server in `stripe` mode: the browser collects them with
Stripe.js (a SetupIntent confirmed by `confirmCardSetup`/`confirmSepaDebitSetup`) and
the server gets only the PaymentMethod id (`PaymentInput.payment_method`). The sandbox
has the same shape: its Stripe.js stand-in posts to the app's sandbox tokenizer, which
plays Stripe's servers (docs/payments.md).
"""

from __future__ import annotations

from cbportal.services.billing.gateways.base import (
    METHOD_TYPES,
    SEPA_COUNTRIES,
    Gateway,
    GatewayResult,
    Outcome,
    PaymentInput,
    SavedMethod,
    offered_types,
)

__all__ = ["METHOD_TYPES", "SEPA_COUNTRIES", "Gateway", "GatewayResult", "Outcome", "PaymentInput", "SavedMethod",
           "get_gateway", "offered_types"]


def get_gateway(name: str | None = None) -> Gateway:
    from cbportal.ops.gateway import metered
    from cbportal.settings import get_settings

    settings = get_settings()
    name = name or settings.payments
    if name == "stripe":
        from cbportal.services.billing.gateways.stripe_gateway import StripeGateway

        return metered(StripeGateway(api_key=settings.stripe_api_key, api_base=settings.stripe_api_base,
                                     publishable_key=settings.stripe_publishable_key, js_url=settings.stripe_js_url))
    from cbportal.db import get_engine
    from cbportal.services.billing.gateways.sandbox import SandboxGateway
    from cbportal.services.core.clock import get_clock

    return metered(SandboxGateway(get_engine(), get_clock(), secret=settings.secret, base_url=settings.base_url))
