"""API: accounts and products routes, keys and roles (API.md, RULES R5, R8)."""

from tests.utils.api import bearer

ACCOUNT = {"nickname": "acme", "time_zone": "America/New_York", "account_email": "owner@acme.test"}
MONTHLY = {"sku": "ACME-PRO", "account": "acme", "title": "Acme Pro", "kind": "digital", "currency": "USD",
           "initial_price_cents": 2995, "commission_initial_pct": 55, "commission_rebill_pct": 55,
           "recurring": {"rebill_price_cents": 995, "frequency": {"unit": "month", "count": 1}, "rebills": 11}}


def make_account(client, staff_key, **extra):
    r = client.post("/api/v1/accounts", json={**ACCOUNT, **extra}, headers=bearer(staff_key))
    assert r.status_code == 201, r.text
    return r.json()


def test_staff_creates_account_and_gets_owner_key(client, staff_key):
    body = make_account(client, staff_key)
    assert body["nickname"] == "acme" and body["time_zone"] == "America/New_York"
    assert body["owner_api_key"].startswith("cbp_")


def test_missing_and_bad_keys_are_401_with_error_shape(client, staff_key):
    r = client.post("/api/v1/accounts", json=ACCOUNT)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "missing_api_key"
    r = client.post("/api/v1/accounts", json=ACCOUNT, headers=bearer("cbp_nope"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


def test_owner_cannot_create_accounts(client, staff_key):
    owner = make_account(client, staff_key)["owner_api_key"]
    r = client.post("/api/v1/accounts", json={**ACCOUNT, "nickname": "other"}, headers=bearer(owner))
    assert r.status_code == 403 and r.json()["error"]["code"] == "staff_only"


def test_account_input_errors_are_422_or_409(client, staff_key):
    make_account(client, staff_key)
    r = client.post("/api/v1/accounts", json=ACCOUNT, headers=bearer(staff_key))
    assert r.status_code == 409 and r.json()["error"]["code"] == "nickname_taken"
    r = client.post("/api/v1/accounts", json={**ACCOUNT, "nickname": "zzz", "time_zone": "Mars/Olympus"},
                    headers=bearer(staff_key))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_time_zone"
    r = client.post("/api/v1/accounts", json={"nickname": 5}, headers=bearer(staff_key))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = client.post("/api/v1/accounts", content=b"{not json", headers={**bearer(staff_key),
                                                                         "content-type": "application/json"})
    assert r.status_code == 422


def test_owner_updates_settings_other_owner_gets_404(client, staff_key):
    owner = make_account(client, staff_key)["owner_api_key"]
    other = make_account(client, staff_key, nickname="globex", account_email="boss@globex.test")["owner_api_key"]
    r = client.post("/api/v1/accounts/acme/settings", json={"reminder_days": 5, "time_zone": "Europe/Berlin"},
                    headers=bearer(owner))
    assert r.status_code == 200 and r.json()["reminder_days"] == 5 and r.json()["time_zone"] == "Europe/Berlin"
    r = client.post("/api/v1/accounts/acme/settings", json={"reminder_days": 1}, headers=bearer(other))
    assert r.status_code == 404


def test_product_create_approve_get(client, staff_key):
    owner = make_account(client, staff_key)["owner_api_key"]
    r = client.post("/api/v1/products", json=MONTHLY, headers=bearer(owner))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending"
    assert body["recurring"]["frequency"] == {"unit": "month", "count": 1, "label": "monthly"}
    r = client.post("/api/v1/products/ACME-PRO/approve", headers=bearer(owner))
    assert r.status_code == 403
    r = client.post("/api/v1/products/ACME-PRO/approve", headers=bearer(staff_key))
    assert r.status_code == 200 and r.json()["status"] == "approved"
    r = client.post("/api/v1/products/ACME-PRO/approve", headers=bearer(staff_key))
    assert r.status_code == 409
    assert client.get("/api/v1/products/ACME-PRO", headers=bearer(owner)).json()["status"] == "approved"
    assert client.get("/api/v1/products/NOPE", headers=bearer(owner)).status_code == 404


def test_r5_annual_needs_admin_grant(client, staff_key):
    owner = make_account(client, staff_key)["owner_api_key"]
    annual = {**MONTHLY, "sku": "ANNUAL",
              "recurring": {**MONTHLY["recurring"], "frequency": {"unit": "month", "count": 12}}}
    r = client.post("/api/v1/products", json=annual, headers=bearer(owner))
    assert r.status_code == 403 and r.json()["error"]["code"] == "admin_frequency_required"
    granted = make_account(client, staff_key, nickname="granted", account_email="g@granted.test",
                           admin_frequencies=True)["owner_api_key"]
    r = client.post("/api/v1/products", json={**annual, "account": "granted"}, headers=bearer(granted))
    assert r.status_code == 201


def test_product_errors(client, staff_key):
    owner = make_account(client, staff_key)["owner_api_key"]
    other = make_account(client, staff_key, nickname="globex", account_email="boss@globex.test")["owner_api_key"]
    r = client.post("/api/v1/products", json=MONTHLY, headers=bearer(other))
    assert r.status_code == 404                                  # not your account
    r = client.post("/api/v1/products", json={**MONTHLY, "kind": "physical"}, headers=bearer(owner))
    assert r.status_code == 422 and r.json()["error"]["code"] == "ship_to_required"
    r = client.post("/api/v1/products", json={**MONTHLY, "commission_initial_pct": 12.345}, headers=bearer(owner))
    assert r.status_code == 422
    assert client.post("/api/v1/products", json=MONTHLY, headers=bearer(owner)).status_code == 201
    r = client.post("/api/v1/products", json=MONTHLY, headers=bearer(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "sku_taken"
    assert client.get("/api/v1/products/ACME-PRO", headers=bearer(other)).status_code == 404


def test_openapi_describes_routes(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/accounts", "/api/v1/products", "/api/v1/products/{sku}/approve",
            "/api/v1/test/clock", "/api/v1/test/reset"} <= set(spec["paths"])


def test_test_clock_moves_forward_only(client, staff_key):
    assert client.get("/api/v1/test/clock").json()["now"].startswith("2026-01-05T00:00:00")
    r = client.put("/api/v1/test/clock", json={"now": "2026-01-06T12:00:00Z"})
    assert r.status_code == 200 and r.json()["now"].startswith("2026-01-06T12:00:00")
    r = client.put("/api/v1/test/clock", json={"now": "2026-01-06T11:00:00Z"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "clock_moves_forward_only"
    r = client.put("/api/v1/test/clock", json={"now": "2026-01-07T00:00:00"})   # no offset
    assert r.status_code == 422


def test_test_routes_absent_without_test_mode(engine):
    from fastapi.testclient import TestClient

    from cbportal.api.app import build_api

    with TestClient(build_api(test_mode=False)) as c:
        assert c.post("/api/v1/test/reset").status_code == 404


def test_payment_behavior_unknown_receipt_404(client, staff_key):
    r = client.put("/api/v1/test/orders/NOPE1234/payment-behavior", json={"behavior": "invalid_card"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "order_not_found"
    r = client.put("/api/v1/test/orders/NOPE1234/payment-behavior", json={"behavior": "maybe"})
    assert r.status_code == 422
