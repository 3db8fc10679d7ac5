"""API: GET /affiliate/subscriptions (issue 17 point 3): the subscriptions an account
referred as affiliate, with the R1 commission of every bill, and no customer details."""

from tests.utils.api import bearer, order


def test_r1_an_affiliate_account_sees_its_referred_subscription_with_commission_per_bill(client, shop):
    receipt = order(client, affiliate="other").json()["receipt"]          # 2026-01-05, $29.95 then $9.95
    order(client, affiliate="aff1")                                       # someone else's referral
    assert client.put("/api/v1/test/clock", json={"now": "2026-03-10T00:00:00Z"}).status_code == 200
    r = client.get("/api/v1/affiliate/subscriptions", headers=bearer(shop["other"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["affiliates"] == ["other"]
    [sub] = body["subscriptions"]
    assert (sub["receipt"], sub["vendor"], sub["sku"], sub["status"], sub["next_bill_date"]) == (
        receipt, "shop", "PRO", "active", "2026-04-05")
    assert [(b["scheduled_date"], b["amount_cents"], b["commission_cents"], b["commission_status"])
            for b in sub["bills"]] == [("2026-01-05", 2995, 1469, "earned"), ("2026-02-05", 995, 493, "earned"),
                                       ("2026-03-05", 995, 493, "earned")]
    assert sub["commission_earned_cents"] == 2455
    assert body["commission_earned"] == [{"currency": "USD", "cents": 2455}]
    assert "buyer@example.test" not in r.text and "Buyer" not in r.text


def test_the_vendor_itself_and_strangers_see_no_referrals(client, shop):
    order(client, affiliate="other")
    r = client.get("/api/v1/affiliate/subscriptions", headers=bearer(shop["owner"]))
    assert r.status_code == 200 and r.json() == {"affiliates": ["shop"], "subscriptions": [], "commission_earned": []}
    r = client.get("/api/v1/affiliate/subscriptions?account=shop", headers=bearer(shop["other"]))
    assert r.status_code == 404 and r.json()["error"]["code"] == "account_not_found"
    assert client.get("/api/v1/affiliate/subscriptions").status_code == 401
    r = client.get("/api/v1/affiliate/subscriptions?account=a%0Ab", headers=bearer(shop["other"]))
    assert r.status_code == 422
