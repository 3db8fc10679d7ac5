"""The scripts the checkout and card pages run in the buyer's browser: reading its time zone,
and `cbpPay.confirm` (Stripe.js, or the sandbox's stand-in `assets/cbp_pay.js`), which
answers with a payment method id or an error, never the card or IBAN details."""

from __future__ import annotations

import json

import reflex as rx

BROWSER_ZONE = "Intl.DateTimeFormat().resolvedOptions().timeZone"


def confirm_in_browser(kind: str, secret: str, billing: dict, callback) -> rx.event.EventSpec:
    """Run cbpPay.confirm in the page; `callback` gets {id} or {error}."""
    args = ", ".join(json.dumps(x) for x in (kind, secret, billing))
    return rx.call_script(f"window.cbpPay.confirm({args})", callback=callback)


def confirmed(result) -> tuple[str, str]:
    """cbpPay.confirm's answer as (payment method id, "") or ("", what to tell the buyer)."""
    result = result if isinstance(result, dict) else {}
    if result.get("error") or not result.get("id"):
        return "", str(result.get("error") or "The payment details were not confirmed; please try again.")
    return str(result["id"]), ""
