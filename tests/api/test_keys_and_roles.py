"""API keys and roles per route (API.md conventions, RULES R8): 401 for no, bad or revoked
keys; 403 for a role the key's user lacks; 404, never 403, for another account's receipt."""

from sqlmodel import Session, select

from cbportal.models import ApiKey, Role, User
from cbportal.services.accounts import auth
from cbportal.services.core.clock import StoredClock
from tests.utils.api import bearer, clerk_key, order


def test_r8_roles_are_enforced_per_route(client, engine, shop):
    receipt = order(client).json()["receipt"]
    tickets_only = clerk_key(engine, {Role.MANAGE_TICKETS}, "tickets@shop.test")
    orders_too = clerk_key(engine, {Role.MANAGE_TICKETS, Role.MANAGE_ORDERS}, "orders@shop.test")
    r = client.get(f"/api/v1/orders/{receipt}", headers=bearer(tickets_only))
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_required"
    assert client.get(f"/api/v1/orders/{receipt}", headers=bearer(orders_too)).status_code == 200
    r = client.post(f"/api/v1/orders/{receipt}/subscription/extend", json={"periods": 1}, headers=bearer(orders_too))
    assert r.status_code == 403
    product = {"sku": "NEW1", "account": "shop", "title": "New", "kind": "digital", "currency": "USD",
               "initial_price_cents": 100, "commission_initial_pct": 10}
    assert client.post("/api/v1/products", json=product, headers=bearer(orders_too)).status_code == 403
    r = client.post("/api/v1/tickets", json={"receipt": receipt, "type": "tech_support", "comment": "hi"},
                    headers=bearer(tickets_only))
    assert r.status_code == 201
    ticket = r.json()["id"]
    assert client.get(f"/api/v1/tickets/{ticket}", headers=bearer(shop["other"])).status_code == 404
    assert client.post("/api/v1/accounts", json={"nickname": "x1", "time_zone": "UTC",
                                                 "account_email": "x@x.test"},
                       headers=bearer(shop["owner"])).status_code == 403


def test_revoked_and_unknown_keys_get_401(client, engine, shop):
    receipt = order(client).json()["receipt"]
    key = clerk_key(engine, {Role.MANAGE_TICKETS, Role.MANAGE_ORDERS}, "gone@shop.test")
    assert client.get(f"/api/v1/orders/{receipt}", headers=bearer(key)).status_code == 200
    with Session(engine) as s:
        user = s.exec(select(User).where(User.email == "gone@shop.test")).one()
        row = s.exec(select(ApiKey).where(ApiKey.user_id == user.id)).one()
        auth.revoke_api_key(s, now=StoredClock(engine).now(), actor=auth.actor_for(s, user), key_id=row.id)
        s.commit()
    r = client.get(f"/api/v1/orders/{receipt}", headers=bearer(key))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert client.get(f"/api/v1/orders/{receipt}", headers=bearer("cbp_nope_nope")).status_code == 401
    assert client.get(f"/api/v1/orders/{receipt}", headers={"Authorization": "Basic abc"}).status_code == 401
