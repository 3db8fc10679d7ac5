"""The embedded sandbox gateway: deterministic outcomes, its own ledger, real idempotency.

Card numbers decide the outcome, as on Stripe's test cards:
4242424242424242 succeeds, 4000000000009995 is declined for insufficient funds,
4000000000000069 is an expired/invalid card; any other Luhn-valid number succeeds.
PayPal and ELV always succeed. In test mode an order's method may carry a forced
behaviour (`PaymentMethod.test_behavior`), passed in as the method's ref suffix.
The ledger (`sandbox_charge`) is written on its own connection, like a remote system.

Like Stripe, the sandbox tokenizes in the browser's name: `tokenize` (behind
`POST /api/v1/sandbox/payment_methods`, called by the sandbox's Stripe.js stand-in)
turns card or IBAN details into a signed, self-describing token, and `save_method`
takes that token. Raw card fields are still accepted here (API.md), never by Stripe.

`CBPORTAL_SANDBOX_LATENCY_MS` (or `latency_ms`) makes every charge, refund and look-up
wait that long before it answers, outside any transaction, as a real gateway's round
trip would: benchmarks and tests use it to model a gateway at 300 ms a call.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cbportal.db import reader
from cbportal.models import SandboxCharge
from cbportal.services.billing.gateways.base import (
    METHOD_TYPES,
    GatewayResult,
    Outcome,
    PaymentInput,
    SavedMethod,
)
from cbportal.services.core.errors import Invalid

CARD_OUTCOMES = {
    "4242424242424242": Outcome.PAID,
    "4000000000009995": Outcome.INSUFFICIENT_FUNDS,
    "4000000000000069": Outcome.INVALID_CARD,
}
BEHAVIORS = (Outcome.PAID, Outcome.INSUFFICIENT_FUNDS, Outcome.INVALID_CARD)


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    checksum = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        checksum += d
    return checksum % 10 == 0


def method_outcome(method_ref: str) -> str:
    """The outcome a sandbox method ref stands for: `sbx_<outcome>_<random>`."""
    for outcome in BEHAVIORS:
        if method_ref.startswith(f"sbx_{outcome}_"):
            return outcome
    return Outcome.PAID


def iban_ok(iban: str) -> bool:
    """ISO 13616 check digits (mod 97)."""
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


class TokenError(Invalid):
    """What the tokenizer answers the browser (Stripe's shape: a message and a code)."""


def with_behavior(method_ref: str, behavior: str) -> str:
    """The same method, answering `behavior` from now on (test mode)."""
    suffix = method_ref.rsplit("_", 1)[-1]
    return f"sbx_{behavior}_{suffix}"


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class SandboxGateway:
    name = "sandbox"

    payment_types = ("card", "paypal", "elv")
    accepts_card_data = True
    TOKEN_PREFIX = "sbxpm"

    def __init__(self, engine: Engine, clock, *, secret: str | None = None, base_url: str = "",
                 latency_ms: int | None = None):
        self.engine = engine
        self.clock = clock
        self._secret = secret
        self.base_url = base_url
        self._latency_ms = latency_ms

    @property
    def latency_ms(self) -> int:
        if self._latency_ms is None:
            from cbportal.settings import get_settings

            self._latency_ms = get_settings().sandbox_latency_ms
        return self._latency_ms

    def _round_trip(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)

    # --- the browser side: what Stripe's servers do for Stripe.js ---------------------------

    @property
    def secret(self) -> str:
        if self._secret is None:
            from cbportal.settings import get_settings

            self._secret = get_settings().secret
        return self._secret

    def browser_config(self) -> dict:
        return {"js_url": f"{self.base_url}/api/v1/sandbox/stripe.js", "key": "pk_sandbox"}

    def setup(self, type: str) -> str:
        """A client secret in Stripe's shape; the sandbox tokenizer needs no server-side intent."""
        return f"seti_sbx{secrets.token_hex(8)}_secret_{secrets.token_hex(8)}"

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:24]

    def tokenize(self, *, type: str, card: dict | None = None, sepa_debit: dict | None = None) -> dict:
        """Card or IBAN details -> a PaymentMethod-shaped dict with a signed token as its id."""
        if type == "card":
            card = card or {}
            number = re.sub(r"[\s-]", "", str(card.get("number") or ""))
            if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
                raise TokenError("Your card number is invalid", "incorrect_number")
            month, year = _int(card.get("exp_month")), _int(card.get("exp_year"))
            year = year + 2000 if year is not None and year < 100 else year
            if not (month and 1 <= month <= 12 and year and 2000 <= year <= 2100):
                raise TokenError("Your card's expiry date is invalid", "invalid_expiry")
            if card.get("cvc") and not re.fullmatch(r"[0-9]{3,4}", str(card["cvc"])):
                raise TokenError("Your card's security code is invalid", "invalid_cvc")
            outcome, last4 = CARD_OUTCOMES.get(number, Outcome.PAID), number[-4:]
            details = {"card": {"last4": last4, "exp_month": month, "exp_year": year}}
        elif type == "sepa_debit":
            iban = re.sub(r"\s", "", str((sepa_debit or {}).get("iban") or "")).upper()
            if not iban_ok(iban):
                raise TokenError("The IBAN is invalid", "invalid_iban")
            outcome, last4, month, year = Outcome.PAID, iban[-4:], 0, 0
            details = {"sepa_debit": {"last4": last4, "country": iban[:2]}}
        else:
            raise TokenError("The payment method type is card or sepa_debit", "invalid_type")
        body = f"{self.TOKEN_PREFIX}.{type}.{outcome}.{last4}.{month or 0}.{year or 0}.{secrets.token_hex(6)}"
        return {"id": f"{body}.{self._sign(body)}", "object": "payment_method", "type": type, **details}

    def _from_token(self, token: str, type: str) -> SavedMethod:
        parts = token.split(".")
        if len(parts) != 8 or parts[0] != self.TOKEN_PREFIX or not hmac.compare_digest(
                parts[7], self._sign(".".join(parts[:7]))):
            raise Invalid("the payment method is not one this checkout issued", "invalid_payment_method")
        _, kind, outcome, last4, month, year, nonce, _sig = parts
        if kind != METHOD_TYPES.get(type):
            raise Invalid(f"the payment method is a {kind.replace('_', ' ')}, not {type}", "invalid_payment_method")
        card = kind == "card"
        return SavedMethod(customer_ref=None, method_ref=f"sbx_{outcome}_{nonce}", last4=last4,
                           exp_month=int(month) if card else None, exp_year=int(year) if card else None,
                           outcome=Outcome.INVALID_CARD if outcome == Outcome.INVALID_CARD else Outcome.PAID)

    # --- the server side ---------------------------------------------------------------------

    def save_method(self, payment: PaymentInput) -> SavedMethod:
        if payment.payment_method:
            return self._from_token(payment.payment_method, payment.type)
        if payment.type != "card":
            return SavedMethod(customer_ref=None, method_ref=f"sbx_paid_{secrets.token_hex(6)}",
                               last4=None, exp_month=None, exp_year=None)
        number = (payment.card_number or "").replace(" ", "")
        outcome = CARD_OUTCOMES.get(number, Outcome.PAID if number.isdigit() and 12 <= len(number) <= 19
                                    and luhn_ok(number) else Outcome.INVALID_CARD)
        return SavedMethod(customer_ref=None, method_ref=f"sbx_{outcome}_{secrets.token_hex(6)}",
                           last4=number[-4:] if number else None, exp_month=payment.exp_month,
                           exp_year=payment.exp_year,
                           outcome=Outcome.INVALID_CARD if outcome == Outcome.INVALID_CARD else Outcome.PAID)

    def _record(self, row: SandboxCharge) -> GatewayResult:
        """Store the call under its idempotency key (one INSERT), or answer as the first call
        with that key did: the unique key, not a read before the write, decides."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(row)
            try:
                session.commit()
                existing = row
            except IntegrityError:  # a replay, or a racing one got there first
                session.rollback()
                existing = session.exec(select(SandboxCharge).where(
                    SandboxCharge.idempotency_key == row.idempotency_key)).one()
            return GatewayResult(outcome=existing.outcome, ref=f"sbx_{existing.kind}_{existing.id}",
                                 metadata=dict(existing.metadata_json))

    def charge(self, *, customer_ref, method_ref, amount_cents, currency, idempotency_key, metadata=None):
        self._round_trip()
        return self._record(SandboxCharge(
            idempotency_key=idempotency_key, kind="charge", method_ref=method_ref, amount_cents=amount_cents,
            currency=currency, outcome=method_outcome(method_ref), metadata_json=metadata or {},
            created_at=self.clock.now()))

    def refund(self, *, charge_ref, amount_cents, idempotency_key):
        self._round_trip()
        with reader(self.engine) as session:
            charge_id = int(charge_ref.rsplit("_", 1)[-1]) if charge_ref.startswith("sbx_charge_") else None
            charge = session.get(SandboxCharge, charge_id) if charge_id else None
            if not charge or charge.outcome != Outcome.PAID or amount_cents > charge.amount_cents:
                return GatewayResult(outcome=Outcome.ERROR, message="no such paid charge to refund")
        return self._record(SandboxCharge(
            idempotency_key=idempotency_key, kind="refund", method_ref=charge.method_ref, charge_ref=charge_ref,
            amount_cents=amount_cents, currency=charge.currency, outcome=Outcome.REFUNDED,
            created_at=self.clock.now()))

    def find(self, *, idempotency_key):
        self._round_trip()
        with reader(self.engine) as session:
            row = session.exec(select(SandboxCharge).where(SandboxCharge.idempotency_key == idempotency_key)).first()
            if row is None:
                return None
            return GatewayResult(outcome=row.outcome, ref=f"sbx_{row.kind}_{row.id}", metadata=dict(row.metadata_json))
