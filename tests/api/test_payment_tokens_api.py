"""Issue 11 point 5 over the API (API.md "Orders"): orders take a payment token from the
gateway's browser-side tokenizer; in `stripe` mode card fields get 422
`card_data_not_accepted`, PayPal 422 `payment_type_unavailable`, and ELV is a real SEPA
debit for customers in DE, AT and NL. The sandbox has the same
shape: its tokenizer route stands in for Stripe's servers."""

import pytest

from cbportal.settings import get_settings
from tests.localstripe import PUBLISHABLE_KEY, SECRET_KEY, confirm_setup
from tests.utils.api import VISA, bearer

IBAN = "DE89370400440532013000"


def buy(client, payment, *, sku="PRO", country="US", email="buyer@example.test"):
    return client.post("/api/v1/orders", json={"sku": sku, "customer": {"email": email, "name": "Buyer",
                                                                        "country": country}, "payment": payment})


@pytest.fixture
def euro(client, shop):  # noqa: F811
    body = {"sku": "EURO", "account": "shop", "title": "Euro plan", "kind": "digital", "currency": "EUR",
            "initial_price_cents": 1500, "commission_initial_pct": 50, "commission_rebill_pct": 50,
            "recurring": {"rebill_price_cents": 900, "frequency": {"unit": "month", "count": 1}, "rebills": None}}
    assert client.post("/api/v1/products", json=body, headers=bearer(shop["owner"])).status_code == 201
    return "EURO"


def approve(client, staff_key, sku):
    assert client.post(f"/api/v1/products/{sku}/approve", headers=bearer(staff_key)).status_code == 200


def code(response):
    return response.status_code, response.json()["error"]["code"]


# --- sandbox mode (the default) ------------------------------------------------------------------

def test_sandbox_tokenizer_and_order_with_a_token(client, shop):  # noqa: F811
    r = client.post("/api/v1/sandbox/payment_methods",
                    json={"type": "card", "card": {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030,
                                                   "cvc": "123"}})
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["card"] == {"last4": "4242", "exp_month": 12, "exp_year": 2030}
    assert "4242424242424242" not in token["id"]
    r = buy(client, {"type": "card", "payment_method": token["id"]})
    assert r.status_code == 201, r.text
    assert r.json()["bills"][0]["status"] == "paid"
    declined = client.post("/api/v1/sandbox/payment_methods", json={"type": "card", "card": {
        "number": "4000000000009995", "exp_month": 1, "exp_year": 2030}}).json()["id"]
    assert code(buy(client, {"type": "card", "payment_method": declined})) == (409, "payment_declined")
    assert code(buy(client, {"type": "card", "payment_method": token["id"] + "x"})) == (422, "invalid_payment_method")
    assert code(buy(client, {**VISA, "payment_method": token["id"]})) == (422, "invalid_payment")
    r = client.post("/api/v1/sandbox/payment_methods", json={"type": "card", "card": {"number": "1234",
                                                                                      "exp_month": 1, "exp_year": 30}})
    assert code(r) == (422, "incorrect_number")
    assert client.get("/api/v1/sandbox/stripe.js").text.count("confirmCardSetup") >= 1


def test_sandbox_elv_only_for_sepa_countries_and_euros(client, shop, euro, staff_key):  # noqa: F811
    approve(client, staff_key, euro)
    iban = client.post("/api/v1/sandbox/payment_methods",
                       json={"type": "sepa_debit", "sepa_debit": {"iban": IBAN}}).json()["id"]
    assert code(buy(client, {"type": "elv", "payment_method": iban}, sku=euro, country="US")) == \
        (422, "payment_type_unavailable")
    assert code(buy(client, {"type": "elv", "payment_method": iban}, sku="PRO", country="DE")) == \
        (422, "payment_type_unavailable")                                      # a dollar price
    r = buy(client, {"type": "elv", "payment_method": iban}, sku=euro, country="AT")
    assert r.status_code == 201, r.text
    assert r.json()["bills"][0]["status"] == "paid"
    assert buy(client, {"type": "paypal"}).status_code == 201                  # PayPal stays a sandbox type


# --- stripe mode against localstripe ----------------------------------------------------------------

@pytest.fixture
def stripe_api(request, monkeypatch, localstripe):  # noqa: F811
    for name, value in (("CBPORTAL_PAYMENTS", "stripe"), ("STRIPE_API_KEY", SECRET_KEY),
                        ("STRIPE_API_BASE", localstripe), ("STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY),
                        ("STRIPE_JS_URL", f"{localstripe}/js.stripe.com/v3/")):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield request.getfixturevalue("client")
    finally:
        get_settings.cache_clear()


def stripe_token(localstripe, **details):  # noqa: F811
    from cbportal.services.billing.gateways import get_gateway

    kind = "card" if details.get("card") else "elv"
    intent = confirm_setup(localstripe, get_gateway().setup(kind), **details)
    assert "error" not in intent, intent
    return intent["payment_method"]


def test_stripe_orders_take_tokens_only(stripe_api, shop, localstripe):  # noqa: F811
    client = stripe_api
    assert code(buy(client, VISA)) == (422, "card_data_not_accepted")
    assert code(buy(client, {"type": "card", "card_number": "4242424242424242"})) == (422, "card_data_not_accepted")
    assert code(buy(client, {"type": "card"})) == (422, "payment_method_required")
    assert code(buy(client, {"type": "paypal"})) == (422, "payment_type_unavailable")
    assert code(buy(client, {"type": "card", "payment_method": "pm_unknown"})) == (422, "invalid_payment_method")
    r = buy(client, {"type": "card", "payment_method": stripe_token(localstripe, card="4242424242424242")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["bills"][0]["status"] == "paid" and body["bills"][0]["attempts"][0]["outcome"] == "paid"
    assert client.post("/api/v1/sandbox/payment_methods", json={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 1, "exp_year": 2030}}).status_code == 404   # no tokenizer here
    r = client.post(f"/api/v1/customer/orders/{body['receipt']}/payment-method",
                    json={"email": "buyer@example.test", "payment": VISA})
    assert code(r) == (422, "card_data_not_accepted")
    r = client.post(f"/api/v1/customer/orders/{body['receipt']}/payment-method",
                    json={"email": "buyer@example.test",
                          "payment": {"type": "card",
                                      "payment_method": stripe_token(localstripe, card="5555555555554444")}})
    assert r.status_code == 200, r.text


def test_stripe_elv_is_a_sepa_debit(stripe_api, shop, euro, staff_key, localstripe):  # noqa: F811
    client = stripe_api
    approve(client, staff_key, euro)
    token = stripe_token(localstripe, iban=IBAN)
    assert code(buy(client, {"type": "elv", "payment_method": token}, sku=euro, country="FR")) == \
        (422, "payment_type_unavailable")
    r = buy(client, {"type": "elv", "payment_method": token}, sku=euro, country="NL")
    assert r.status_code == 201, r.text
    bill = r.json()["bills"][0]
    assert bill["status"] == "paid" and bill["amount_cents"] == 1500    # localstripe settles SEPA at once
    assert code(buy(client, {"type": "elv", "payment_method": token}, sku=euro, country="NL")) == \
        (422, "invalid_payment_method")                                  # attached to the first order now
