"""Payment gateways (RULES R6): sandbox outcomes and idempotency on both databases;
Stripe against localstripe on loopback (charge, decline, refund, idempotent retry)."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cbportal.services.gateways import Outcome, PaymentInput
from cbportal.services.gateways.sandbox import SandboxGateway, with_behavior
from cbportal.services.gateways.stripe_gateway import StripeGateway
from cbportal.models import SandboxCharge
from sqlmodel import Session, select


def card(number):
    return PaymentInput(type="card", card_number=number, exp_month=12, exp_year=2030, cvc="123",
                        email="buyer@example.test", name="Buyer")


@pytest.fixture
def sandbox(engine, clock):
    return SandboxGateway(engine, clock)


def charge(gw, method, key, amount=2995):
    return gw.charge(customer_ref=method.customer_ref, method_ref=method.method_ref, amount_cents=amount,
                     currency="USD", idempotency_key=key)


@pytest.mark.parametrize("number, outcome", [
    ("4242424242424242", Outcome.PAID),
    ("4000000000009995", Outcome.INSUFFICIENT_FUNDS),
    ("4000000000000069", Outcome.INVALID_CARD),
    ("4111111111111111", Outcome.PAID),        # any other valid number
])
def test_sandbox_outcome_by_card_number(sandbox, number, outcome):
    method = sandbox.save_method(card(number))
    assert charge(sandbox, method, f"k-{number}").outcome == outcome


def test_sandbox_rejects_a_non_luhn_number_at_save(sandbox):
    assert sandbox.save_method(card("4242424242424241")).outcome == Outcome.INVALID_CARD


def test_sandbox_paypal_and_elv_pay(sandbox):
    for kind in ("paypal", "elv"):
        method = sandbox.save_method(PaymentInput(type=kind))
        assert charge(sandbox, method, f"k-{kind}").outcome == Outcome.PAID


def test_sandbox_replayed_key_charges_once(sandbox, engine):
    method = sandbox.save_method(card("4242424242424242"))
    first = charge(sandbox, method, "order-1:bill-1")
    again = charge(sandbox, method, "order-1:bill-1")
    assert first.ref == again.ref
    with Session(engine) as s:
        assert len(s.exec(select(SandboxCharge)).all()) == 1
    assert sandbox.find(idempotency_key="order-1:bill-1").ref == first.ref
    assert sandbox.find(idempotency_key="never-sent") is None


def test_sandbox_refund_once_and_only_what_was_paid(sandbox):
    method = sandbox.save_method(card("4242424242424242"))
    paid = charge(sandbox, method, "c1")
    r1 = sandbox.refund(charge_ref=paid.ref, amount_cents=2995, idempotency_key="r1")
    r2 = sandbox.refund(charge_ref=paid.ref, amount_cents=2995, idempotency_key="r1")
    assert r1.outcome == Outcome.REFUNDED and r1.ref == r2.ref
    assert sandbox.refund(charge_ref=paid.ref, amount_cents=9999, idempotency_key="r2").outcome == Outcome.ERROR


def test_sandbox_behavior_switch(sandbox):
    method = sandbox.save_method(card("4242424242424242"))
    declined = with_behavior(method.method_ref, Outcome.INSUFFICIENT_FUNDS)
    result = sandbox.charge(customer_ref=None, method_ref=declined, amount_cents=100, currency="USD",
                            idempotency_key="x")
    assert result.outcome == Outcome.INSUFFICIENT_FUNDS


# --- Stripe against localstripe --------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def localstripe():
    port = _free_port()
    exe = Path(sys.executable).parent / "localstripe"
    proc = subprocess.Popen([str(exe), "--port", str(port), "--from-scratch"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("localstripe did not start")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def stripe_gw(localstripe):
    return StripeGateway(api_key="sk_test_cbportal", api_base=localstripe)


def test_stripe_charge_and_refund(stripe_gw):
    method = stripe_gw.save_method(card("4242424242424242"))
    assert method.method_ref.startswith("pm_") and method.customer_ref.startswith("cus_")
    paid = charge(stripe_gw, method, "s-order-1:bill-1")
    assert paid.outcome == Outcome.PAID and paid.ref.startswith("pi_")
    refund = stripe_gw.refund(charge_ref=paid.ref, amount_cents=1000, idempotency_key="s-order-1:refund-1")
    assert refund.outcome == Outcome.REFUNDED


def test_stripe_decline_after_attach_is_an_authorization_failure(stripe_gw):
    method = stripe_gw.save_method(card("4000000000000341"))
    assert method.outcome == Outcome.PAID           # attaches fine
    assert charge(stripe_gw, method, "s-decline").outcome == Outcome.INSUFFICIENT_FUNDS


def test_stripe_card_refused_at_attach_is_invalid(stripe_gw):
    assert stripe_gw.save_method(card("4000000000000069")).outcome == Outcome.INVALID_CARD


def test_stripe_reconcile_by_metadata_instead_of_charging_again(stripe_gw):
    """localstripe ignores Idempotency-Key: after a crash we look the payment up first (R6)."""
    method = stripe_gw.save_method(card("4242424242424242"))
    key = "s-order-2:bill-3"
    assert stripe_gw.find(idempotency_key=key) is None
    paid = charge(stripe_gw, method, key)
    found = stripe_gw.find(idempotency_key=key)
    assert found is not None and found.ref == paid.ref and found.outcome == Outcome.PAID
