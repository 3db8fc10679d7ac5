"""The embedded sandbox gateway: deterministic outcomes, its own ledger, real idempotency.

Card numbers decide the outcome, as on Stripe's test cards:
4242424242424242 succeeds, 4000000000009995 is declined for insufficient funds,
4000000000000069 is an expired/invalid card; any other Luhn-valid number succeeds.
PayPal and ELV always succeed. In test mode an order's method may carry a forced
behaviour (`PaymentMethod.test_behavior`), passed in as the method's ref suffix.
The ledger (`sandbox_charge`) is written on its own connection, like a remote system.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cbportal.models import SandboxCharge
from cbportal.services.gateways import GatewayResult, Outcome, PaymentInput, SavedMethod

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


def with_behavior(method_ref: str, behavior: str) -> str:
    """The same method, answering `behavior` from now on (test mode)."""
    suffix = method_ref.rsplit("_", 1)[-1]
    return f"sbx_{behavior}_{suffix}"


class SandboxGateway:
    name = "sandbox"

    def __init__(self, engine: Engine, clock):
        self.engine = engine
        self.clock = clock

    def save_method(self, payment: PaymentInput) -> SavedMethod:
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
        with Session(self.engine) as session:
            existing = session.exec(select(SandboxCharge).where(
                SandboxCharge.idempotency_key == row.idempotency_key)).first()
            if existing is None:
                session.add(row)
                try:
                    session.commit()
                    existing = row
                except IntegrityError:  # a racing replay got there first
                    session.rollback()
                    existing = session.exec(select(SandboxCharge).where(
                        SandboxCharge.idempotency_key == row.idempotency_key)).one()
            return GatewayResult(outcome=existing.outcome, ref=f"sbx_{existing.kind}_{existing.id}",
                                 metadata=dict(existing.metadata_json))

    def charge(self, *, customer_ref, method_ref, amount_cents, currency, idempotency_key, metadata=None):
        return self._record(SandboxCharge(
            idempotency_key=idempotency_key, kind="charge", method_ref=method_ref, amount_cents=amount_cents,
            currency=currency, outcome=method_outcome(method_ref), metadata_json=metadata or {},
            created_at=self.clock.now()))

    def refund(self, *, charge_ref, amount_cents, idempotency_key):
        with Session(self.engine) as session:
            charge_id = int(charge_ref.rsplit("_", 1)[-1]) if charge_ref.startswith("sbx_charge_") else None
            charge = session.get(SandboxCharge, charge_id) if charge_id else None
            if not charge or charge.outcome != Outcome.PAID or amount_cents > charge.amount_cents:
                return GatewayResult(outcome=Outcome.ERROR, message="no such paid charge to refund")
        return self._record(SandboxCharge(
            idempotency_key=idempotency_key, kind="refund", method_ref=charge.method_ref, charge_ref=charge_ref,
            amount_cents=amount_cents, currency=charge.currency, outcome=Outcome.REFUNDED,
            created_at=self.clock.now()))

    def find(self, *, idempotency_key):
        with Session(self.engine) as session:
            row = session.exec(select(SandboxCharge).where(SandboxCharge.idempotency_key == idempotency_key)).first()
            if row is None:
                return None
            return GatewayResult(outcome=row.outcome, ref=f"sbx_{row.kind}_{row.id}", metadata=dict(row.metadata_json))
