"""Payment gateways (RULES R6): sandbox outcomes and idempotency on both databases;
Stripe against localstripe on loopback (charge, decline, refund, idempotent retry). Issue 11
point 5: both take only tokens from the browser-side tokenizer (the sandbox also raw cards),
SEPA direct debit is a real, pending-until-settled debit in stripe mode."""

import pytest
from sqlmodel import Session, select

from cbportal.models import SandboxCharge
from cbportal.services.billing.gateways import Outcome, PaymentInput
from cbportal.services.billing.gateways.sandbox import SandboxGateway, with_behavior
from cbportal.services.billing.gateways.stripe_gateway import StripeGateway
from cbportal.services.core.errors import Invalid
from tests.localstripe import PUBLISHABLE_KEY, SECRET_KEY, browser_token, confirm_setup


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


# --- the sandbox tokenizer: the same shape as Stripe.js (issue 11, point 5) -----------------------

@pytest.mark.parametrize("number, outcome", [
    ("4242424242424242", Outcome.PAID),
    ("4000000000009995", Outcome.INSUFFICIENT_FUNDS),
])
def test_sandbox_token_carries_the_card_outcome_and_details(sandbox, number, outcome):
    pm = sandbox.tokenize(type="card", card={"number": number, "exp_month": "7", "exp_year": "31", "cvc": "123"})
    assert pm["card"] == {"last4": number[-4:], "exp_month": 7, "exp_year": 2031}
    assert number not in pm["id"]
    method = sandbox.save_method(PaymentInput(type="card", payment_method=pm["id"]))
    assert (method.last4, method.exp_month, method.exp_year) == (number[-4:], 7, 2031)
    assert charge(sandbox, method, f"tok-{number}").outcome == outcome


def test_sandbox_token_for_the_invalid_card_is_refused_at_save(sandbox):
    pm = sandbox.tokenize(type="card", card={"number": "4000000000000069", "exp_month": 1, "exp_year": 2030})
    assert sandbox.save_method(PaymentInput(type="card", payment_method=pm["id"])).outcome == Outcome.INVALID_CARD


@pytest.mark.parametrize("card, code", [
    ({"number": "4242424242424241", "exp_month": 1, "exp_year": 2030}, "incorrect_number"),
    ({"number": "4242", "exp_month": 1, "exp_year": 2030}, "incorrect_number"),
    ({"number": "4242424242424242", "exp_month": 13, "exp_year": 2030}, "invalid_expiry"),
    ({"number": "4242424242424242", "exp_month": 1, "exp_year": "soon"}, "invalid_expiry"),
    ({"number": "4242424242424242", "exp_month": 1, "exp_year": 2030, "cvc": "12a"}, "invalid_cvc"),
])
def test_sandbox_tokenizer_refuses_bad_cards(sandbox, card, code):
    with pytest.raises(Invalid) as error:
        sandbox.tokenize(type="card", card=card)
    assert error.value.code == code


def test_sandbox_sepa_token(sandbox):
    pm = sandbox.tokenize(type="sepa_debit", sepa_debit={"iban": "de89 3704 0044 0532 0130 00"})
    assert pm["sepa_debit"] == {"last4": "3000", "country": "DE"}
    method = sandbox.save_method(PaymentInput(type="elv", payment_method=pm["id"]))
    assert method.last4 == "3000" and charge(sandbox, method, "sepa-1").outcome == Outcome.PAID
    with pytest.raises(Invalid) as error:
        sandbox.tokenize(type="sepa_debit", sepa_debit={"iban": "DE89370400440532013001"})   # check digits wrong
    assert error.value.code == "invalid_iban"
    with pytest.raises(Invalid) as error:            # an IBAN token is not a card
        sandbox.save_method(PaymentInput(type="card", payment_method=pm["id"]))
    assert error.value.code == "invalid_payment_method"


def test_sandbox_refuses_forged_tokens(sandbox, engine, clock):
    pm = sandbox.tokenize(type="card", card={"number": "4000000000009995", "exp_month": 1, "exp_year": 2030})
    forged = pm["id"].replace("insufficient_funds", "paid")
    other_app = SandboxGateway(engine, clock, secret="another secret")
    for token, gw in ((forged, sandbox), (pm["id"], other_app), ("sbxpm.card.paid", sandbox), ("pm_123", sandbox)):
        with pytest.raises(Invalid) as error:
            gw.save_method(PaymentInput(type="card", payment_method=token))
        assert error.value.code == "invalid_payment_method"


# --- Stripe against localstripe --------------------------------------------------------------

@pytest.fixture
def stripe_gw(localstripe):
    return StripeGateway(api_key=SECRET_KEY, api_base=localstripe, publishable_key=PUBLISHABLE_KEY)


def stripe_card(gw, base, number):
    return PaymentInput(type="card", payment_method=browser_token(gw, base, card=number),
                        email="buyer@example.test", name="Buyer")


def test_stripe_charge_and_refund(stripe_gw, localstripe):
    method = stripe_gw.save_method(stripe_card(stripe_gw, localstripe, "4242424242424242"))
    assert method.method_ref.startswith("pm_") and method.customer_ref.startswith("cus_")
    assert (method.last4, method.exp_month, method.exp_year) == ("4242", 12, 2030)   # read back from Stripe
    paid = charge(stripe_gw, method, "s-order-1:bill-1")
    assert paid.outcome == Outcome.PAID and paid.ref.startswith("pi_")
    refund = stripe_gw.refund(charge_ref=paid.ref, amount_cents=1000, idempotency_key="s-order-1:refund-1")
    assert refund.outcome == Outcome.REFUNDED


def test_stripe_decline_after_attach_is_an_authorization_failure(stripe_gw, localstripe):
    method = stripe_gw.save_method(stripe_card(stripe_gw, localstripe, "4000000000000341"))
    assert method.outcome == Outcome.PAID           # attaches fine
    assert charge(stripe_gw, method, "s-decline").outcome == Outcome.INSUFFICIENT_FUNDS


def test_stripe_refuses_an_invalid_card_in_the_browser(stripe_gw, localstripe):
    """Stripe.js gets the refusal; the server never hears of the card."""
    answer = confirm_setup(localstripe, stripe_gw.setup("card"), card="4000000000000069")
    assert answer["error"]["code"] == "card_declined"


def test_stripe_never_takes_card_data(stripe_gw):
    with pytest.raises(Invalid) as error:
        stripe_gw.save_method(card("4242424242424242"))
    assert error.value.code == "card_data_not_accepted"
    with pytest.raises(Invalid) as error:
        stripe_gw.save_method(PaymentInput(type="card"))
    assert error.value.code == "payment_method_required"
    with pytest.raises(Invalid) as error:
        stripe_gw.save_method(PaymentInput(type="paypal"))
    assert error.value.code == "payment_type_unavailable"


def test_stripe_checks_the_payment_method(stripe_gw, localstripe):
    sepa = browser_token(stripe_gw, localstripe, iban="DE89370400440532013000")
    for token, kind in (("pm_doesnotexist", "card"), (sepa, "card")):
        with pytest.raises(Invalid) as error:
            stripe_gw.save_method(PaymentInput(type=kind, payment_method=token))
        assert error.value.code == "invalid_payment_method"
    used = stripe_card(stripe_gw, localstripe, "4242424242424242")
    stripe_gw.save_method(used)
    with pytest.raises(Invalid) as error:            # attached to the first customer: not reusable by id
        stripe_gw.save_method(used)
    assert error.value.code == "invalid_payment_method"


def test_stripe_sepa_debit_is_a_real_debit(stripe_gw, localstripe):
    """ELV is a Stripe sepa_debit PaymentMethod made from the IBAN in the browser, charged by a
    PaymentIntent (localstripe settles it at once; real Stripe answers 'processing', which the
    gateway reports as pending: tests/db/test_checkout_tokens.py)."""
    method = stripe_gw.save_method(PaymentInput(type="elv", payment_method=browser_token(
        stripe_gw, localstripe, iban="DE89370400440532013000"), email="erika@example.test", name="Erika"))
    assert method.method_ref.startswith("pm_") and method.last4 == "3000" and method.exp_month is None
    paid = charge(stripe_gw, method, "sepa-order:bill-1", amount=1500)
    assert paid.outcome == Outcome.PAID and paid.ref.startswith("pi_")
    assert stripe_gw.find(idempotency_key="sepa-order:bill-1").ref == paid.ref
    bad = stripe_gw.save_method(PaymentInput(type="elv", payment_method=browser_token(
        stripe_gw, localstripe, iban="DE62370400440532013001")))           # localstripe's failing IBAN
    assert charge(stripe_gw, bad, "sepa-order:bill-2", amount=1500).outcome != Outcome.PAID


def test_stripe_reconcile_by_metadata_instead_of_charging_again(stripe_gw, localstripe):
    """localstripe ignores Idempotency-Key: after a crash we look the payment up first (R6)."""
    method = stripe_gw.save_method(stripe_card(stripe_gw, localstripe, "4242424242424242"))
    key = "s-order-2:bill-3"
    assert stripe_gw.find(idempotency_key=key) is None
    paid = charge(stripe_gw, method, key)
    found = stripe_gw.find(idempotency_key=key)
    assert found is not None and found.ref == paid.ref and found.outcome == Outcome.PAID
