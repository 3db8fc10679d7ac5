"""API: order routes (checkout, Orders API, customer lookup and card update), with the
dunning timeline driven through the test-mode routes (API.md, RULES R1, R6)."""

from tests.utils.api import VISA, bearer, order


def test_checkout_and_orders_api(client, shop):
    r = order(client, affiliate="aff1")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["bills"][0]["amount_cents"] == 2995 and body["bills"][0]["commission_cents"] == 1469
    assert body["bills"][0]["attempts"][0]["outcome"] == "paid"
    assert body["subscription"]["next_bill_date"] == "2026-02-05" and body["subscription"]["payments_remaining"] == 11
    receipt = body["receipt"]
    assert client.get(f"/api/v1/orders/{receipt}", headers=bearer(shop["owner"])).status_code == 200
    assert client.get(f"/api/v1/orders/{receipt}", headers=bearer(shop["other"])).status_code == 404
    assert client.get(f"/api/v1/orders/{receipt}").status_code == 401
    r = client.post("/api/v1/customer/orders/lookup", json={"receipt": receipt, "email": "BUYER@example.test"})
    assert r.status_code == 200 and r.json()["receipt"] == receipt
    r = client.post("/api/v1/customer/orders/lookup", json={"receipt": receipt, "email": "x@y.test"})
    assert r.status_code == 404
    kinds = {m["kind"] for m in client.get(f"/api/v1/test/outbox?receipt={receipt}").json()}
    assert kinds == {"receipt", "sale_notice"}


def test_checkout_errors(client, shop):
    assert order(client, sku="NOPE").status_code == 404
    r = order(client, payment={**VISA, "card_number": "4000000000000069"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "card_refused"
    r = order(client, payment={**VISA, "card_number": "4000000000009995"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "payment_declined"
    r = order(client, sku="BOX")
    assert r.status_code == 422 and r.json()["error"]["code"] == "shipping_address_required"
    r = order(client, sku="BOX", shipping_address={"name": "B", "line1": "1 St", "city": "X", "postal_code": "1",
                                                  "country": "FR"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "does_not_ship_there"
    assert order(client, payment={"type": "bitcoin"}).status_code == 422
    assert order(client, payment={"type": "paypal"}).status_code == 201


def test_dunning_timeline_and_card_update_over_the_api(client, shop):
    receipt = order(client).json()["receipt"]                          # 2026-01-05
    client.put(f"/api/v1/test/orders/{receipt}/payment-behavior", json={"behavior": "insufficient_funds"})
    r = client.put("/api/v1/test/clock", json={"now": "2026-02-13T00:00:00Z"})
    assert r.status_code == 200
    body = client.post("/api/v1/customer/orders/lookup",
                       json={"receipt": receipt, "email": "buyer@example.test"}).json()
    assert [a["at"][:10] for a in body["bills"][1]["attempts"]] == ["2026-02-05", "2026-02-08", "2026-02-12"]
    assert body["subscription"]["status"] == "dunning"
    assert len(client.get(f"/api/v1/test/outbox?receipt={receipt}&kind=payment_failed").json()) == 1
    r = client.post(f"/api/v1/customer/orders/{receipt}/payment-method",
                    json={"email": "buyer@example.test", "payment": VISA})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["bills"][1]["status"] == "paid" and body["subscription"]["status"] == "active"
    assert body["subscription"]["next_bill_date"] == "2026-03-13"
    r = client.post(f"/api/v1/customer/orders/{receipt}/payment-method",
                    json={"email": "wrong@example.test", "payment": VISA})
    assert r.status_code == 404


def test_customer_routes_are_rate_limited_against_receipt_guessing(client, shop):
    from cbportal.services.accounts.ratelimit import ADDRESS_MAX

    receipt = order(client).json()["receipt"]
    for n in range(ADDRESS_MAX):
        r = client.post("/api/v1/customer/orders/lookup", json={"receipt": f"GUESS{n:04d}", "email": "a@b.test"})
        assert r.status_code == 404
    right = {"receipt": receipt, "email": "buyer@example.test"}
    r = client.post("/api/v1/customer/orders/lookup", json=right)
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(r.headers["Retry-After"]) <= 900
    r = client.post("/api/v1/customer/tickets", json={**right, "type": "tech_support"})
    assert r.status_code == 429
    # vendors are unaffected
    assert client.get(f"/api/v1/orders/{receipt}", headers=bearer(shop["owner"])).status_code == 200
    assert client.put("/api/v1/test/clock", json={"now": "2026-01-05T00:16:00Z"}).status_code == 200
    assert client.post("/api/v1/customer/orders/lookup", json=right).status_code == 200
    spec = client.get("/api/v1/openapi.json").json()
    assert "429" in spec["paths"]["/api/v1/customer/orders/lookup"]["post"]["responses"]
