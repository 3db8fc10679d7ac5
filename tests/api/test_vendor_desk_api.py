"""API side of issue 16 point 7: `PATCH /products/{sku}` changes only the description of an
approved product (RULES R5), and an API key carries its user's API integration roles, never
more than the user's own roles (R8)."""

from sqlmodel import Session, select

from cbportal.models import Role, User
from cbportal.services.accounts import users
from cbportal.services.accounts.auth import actor_for
from cbportal.services.core.clock import StoredClock
from tests.utils.api import bearer, clerk_key, order


def test_r5_patch_changes_only_the_description_of_an_approved_product(client, shop):
    r = client.patch("/api/v1/products/PRO", json={"description": "Now with weekly tips."},
                     headers=bearer(shop["owner"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["description"] == "Now with weekly tips." and body["status"] == "approved"
    assert body["recurring"]["rebill_price_cents"] == 995 and body["initial_price_cents"] == 2995
    assert client.get("/api/v1/products/PRO", headers=bearer(shop["owner"])).json()["description"] == \
        "Now with weekly tips."
    # Terms can't ride along: anything but the description is refused, and nothing changes.
    r = client.patch("/api/v1/products/PRO", json={"description": "x", "initial_price_cents": 1},
                     headers=bearer(shop["owner"]))
    assert r.status_code == 422
    assert client.get("/api/v1/products/PRO", headers=bearer(shop["owner"])).json()["description"] == \
        "Now with weekly tips."
    assert client.patch("/api/v1/products/PRO", json={}, headers=bearer(shop["owner"])).status_code == 422


def test_r8_patch_needs_manage_products_and_the_account(client, engine, shop):
    tickets_only = clerk_key(engine, {Role.MANAGE_TICKETS}, "t@shop.test")
    r = client.patch("/api/v1/products/PRO", json={"description": "x"}, headers=bearer(tickets_only))
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_required"
    assert client.patch("/api/v1/products/PRO", json={"description": "x"},
                        headers=bearer(shop["other"])).status_code == 404
    assert client.patch("/api/v1/products/NOPE", json={"description": "x"},
                        headers=bearer(shop["owner"])).status_code == 404


def _set_api_roles(engine, email, roles, api_roles):
    with Session(engine) as s:
        owner = s.exec(select(User).where(User.email == "owner@shop.test")).one()
        clerk = s.exec(select(User).where(User.email == email)).one()
        users.save_permissions(s, now=StoredClock(engine).now(), actor=actor_for(s, owner), user_id=clerk.id,
                               active=True, roles=roles, api_roles=api_roles)
        s.commit()


def test_r8_a_key_carries_only_the_api_integration_roles(client, engine, shop):
    receipt = order(client).json()["receipt"]
    key = clerk_key(engine, {Role.MANAGE_TICKETS, Role.MANAGE_ORDERS}, "int@shop.test")
    assert client.get(f"/api/v1/orders/{receipt}", headers=bearer(key)).status_code == 200
    _set_api_roles(engine, "int@shop.test", ["manage_tickets", "manage_orders"], ["manage_tickets"])
    r = client.get(f"/api/v1/orders/{receipt}", headers=bearer(key))
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_required"
    r = client.post("/api/v1/tickets", json={"receipt": receipt, "type": "tech_support", "comment": "hi"},
                    headers=bearer(key))
    assert r.status_code == 201
    # Taking a role from the user takes it from the key too, whatever the integration roles say.
    _set_api_roles(engine, "int@shop.test", ["manage_orders"], ["manage_orders"])
    with Session(engine) as s:
        s.exec(select(User).where(User.email == "int@shop.test")).one()
    assert client.get(f"/api/v1/orders/{receipt}", headers=bearer(key)).status_code == 200
    assert client.get(f"/api/v1/tickets/{r.json()['id']}", headers=bearer(key)).status_code == 403


def test_r8_api_roles_beyond_the_users_roles_are_refused(engine, client, shop):
    clerk_key(engine, {Role.MANAGE_TICKETS}, "few@shop.test")
    with Session(engine) as s:
        owner = s.exec(select(User).where(User.email == "owner@shop.test")).one()
        clerk = s.exec(select(User).where(User.email == "few@shop.test")).one()
        try:
            users.save_permissions(s, now=StoredClock(engine).now(), actor=actor_for(s, owner), user_id=clerk.id,
                                   active=True, roles=["manage_tickets"], api_roles=["manage_orders"])
        except Exception as error:      # noqa: BLE001
            assert getattr(error, "code", "") == "api_roles_not_held"
        else:
            raise AssertionError("a key role the user does not hold was accepted")
        assert s.get(User, clerk.id).api_roles is None
