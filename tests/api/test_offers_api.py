"""API: order bump and upsell (issue 17 point 2): the vendor sets a product's offers, the
order form reads them with their terms, the customer adds one on the same payment
method after confirming its recurring terms; R1 figures per item."""

from tests.utils.api import add_product, bearer, order


def test_bump_and_upsell_over_the_api(client, staff_key, shop):
    add_product(client, staff_key, shop["owner"], "ADDON", 500, rebills=5)   # $10.00 then $5.00 x 5, 50%
    r = client.put("/api/v1/products/PRO/offers", json={"bump_sku": "ADDON", "upsell_skus": []},
                   headers=bearer(shop["other"]))
    assert r.status_code == 404
    r = client.put("/api/v1/products/PRO/offers", json={"bump_sku": "ADDON"}, headers=bearer(shop["owner"]))
    assert r.status_code == 200, r.text
    offered = client.get("/api/v1/products/PRO/offers").json()
    assert offered["bump"]["terms"] == (
        "Then $5.00 monthly, 5 payments, the first on 5 February 2026. You can cancel at any time.")
    receipt = order(client, affiliate="aff1").json()["receipt"]
    body = {"email": "buyer@example.test", "sku": "ADDON", "kind": "bump"}
    r = client.post(f"/api/v1/customer/orders/{receipt}/offers", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "recurring_terms_not_confirmed"
    r = client.post(f"/api/v1/customer/orders/{receipt}/offers", json={**body, "email": "x@example.test",
                                                                         "understand_recurring_terms": True})
    assert r.status_code == 404
    r = client.post(f"/api/v1/customer/orders/{receipt}/offers", json={**body, "understand_recurring_terms": True})
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["receipt"] != receipt and added["sku"] == "ADDON"
    # $10.00: net round(10.00 x 92.5%) - 1.00 = 8.25; commission 50% = 4.13 (half up)
    assert [(b["amount_cents"], b["net_cents"], b["commission_cents"], b["status"]) for b in added["bills"]] == [
        (1000, 825, 413, "paid")]
    assert added["subscription"]["next_bill_date"] == "2026-02-05"
    r = client.post(f"/api/v1/customer/orders/{receipt}/offers", json={**body, "understand_recurring_terms": True})
    assert r.status_code == 409 and r.json()["error"]["code"] == "offer_taken"
