"""API: subscription management routes (API.md, RULES R7, R1 proration, R8 account scoping)."""

from tests.utils.api import add_product, bearer, order


def sub_route(client, key, receipt, action, body):
    return client.post(f"/api/v1/orders/{receipt}/subscription/{action}", json=body, headers=bearer(key))


def test_r7_change_product_refunds_the_prorated_part_of_the_last_rebill(client, staff_key, shop):
    add_product(client, staff_key, shop["owner"], "PRO2", 1995)
    receipt = order(client).json()["receipt"]  # 2026-01-05; rebill of $9.95 on Feb 5
    assert client.put("/api/v1/test/clock", json={"now": "2026-02-20T12:00:00Z"}).status_code == 200
    # Feb 5 -> Mar 5 is 28 days; 12 days remain after Feb 20: round(995 x 12 / 28) = 426
    r = sub_route(client, shop["owner"], receipt, "change-product", {"sku": "PRO2"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["prorated_refund_cents"] == 426
    assert body["order"]["sku"] == "PRO2"
    assert body["order"]["bills"][1]["refunded_cents"] == 426
    assert body["order"]["subscription"]["next_bill_date"] == "2026-03-05"
    assert body["order"]["subscription"]["payments_remaining"] == 10
    kinds = [m["kind"] for m in client.get(f"/api/v1/test/outbox?receipt={receipt}").json()]
    assert "subscription_changed" in kinds
    r = sub_route(client, shop["owner"], receipt, "change-product", {"sku": "PRO2"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "same_product"
    r = sub_route(client, shop["owner"], receipt, "change-product", {"sku": "PRO", "prorated_refund": False})
    assert r.status_code == 422 and r.json()["error"]["code"] == "refund_required"


def test_r7_bill_date_extend_reinstate_and_shipping(client, staff_key, shop):
    receipt = order(client).json()["receipt"]
    owner = shop["owner"]
    r = sub_route(client, owner, receipt, "change-bill-date", {"date": "2026-01-05"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "date_not_future"
    r = sub_route(client, owner, receipt, "change-bill-date", {"date": "2026-02-10"})
    assert r.status_code == 200 and r.json()["subscription"]["next_bill_date"] == "2026-02-10"
    assert sub_route(client, owner, receipt, "extend", {"periods": 0}).status_code == 422
    r = sub_route(client, owner, receipt, "extend", {"periods": 2})
    assert r.status_code == 200 and r.json()["subscription"]["payments_remaining"] == 13
    r = sub_route(client, owner, receipt, "reinstate", {})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_reinstatable"
    r = client.put(f"/api/v1/orders/{receipt}/shipping-address", headers=bearer(owner),
                   json={"name": "B", "line1": "1 St", "city": "X", "postal_code": "1", "country": "US"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_physical"


def test_r7_reinstate_after_a_cancel_ticket(client, staff_key, shop):
    receipt = order(client).json()["receipt"]
    r = client.post("/api/v1/tickets", json={"receipt": receipt, "type": "cancel"}, headers=bearer(shop["owner"]))
    assert r.status_code == 201, r.text
    assert client.put("/api/v1/test/clock", json={"now": "2026-01-08T00:00:00Z"}).status_code == 200
    r = client.get(f"/api/v1/orders/{receipt}", headers=bearer(shop["owner"]))
    assert r.json()["subscription"]["status"] == "canceled"
    r = sub_route(client, shop["owner"], receipt, "reinstate", {})
    assert r.status_code == 200, r.text
    assert r.json()["subscription"]["status"] == "active"
    assert r.json()["subscription"]["next_bill_date"] == "2026-02-05"


def test_r8_another_accounts_key_sees_404_and_no_key_401(client, staff_key, shop):
    receipt = order(client).json()["receipt"]
    for action, body in (("change-product", {"sku": "PRO"}), ("change-bill-date", {"date": "2026-03-01"}),
                         ("extend", {"periods": 1}), ("reinstate", {})):
        assert sub_route(client, shop["other"], receipt, action, body).status_code == 404
        assert client.post(f"/api/v1/orders/{receipt}/subscription/{action}", json=body).status_code == 401
    r = client.put(f"/api/v1/orders/{receipt}/shipping-address", headers=bearer(shop["other"]),
                   json={"name": "B", "line1": "1 St", "city": "X", "postal_code": "1", "country": "US"})
    assert r.status_code == 404
