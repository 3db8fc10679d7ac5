"""Fixtures and helpers for the REST API tests, registered for tests/api by its conftest.py:
`bearer` (the key header), `shop` (accounts "shop" and "other" with the PRO and BOX
products, made through the API) with `order` and `VISA`, and `ticket_shop` (acme with
owner, clerk and globex keys and one paid recurring order, made through the services)
with `customer_open`; `clerk_key` (a clerk of "shop" with an API key) and `add_product`
(an approved recurring product)."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from cbportal.models import Role, User
from cbportal.services.accounts import auth
from cbportal.services.core.clock import StoredClock
from tests import factories


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


VISA = {"type": "card", "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


@pytest.fixture
def shop(client, staff_key):
    owner = client.post("/api/v1/accounts", json={"nickname": "shop", "time_zone": "UTC",
                                                  "account_email": "owner@shop.test"},
                        headers=bearer(staff_key)).json()["owner_api_key"]
    other = client.post("/api/v1/accounts", json={"nickname": "other", "time_zone": "UTC",
                                                  "account_email": "owner@other.test"},
                        headers=bearer(staff_key)).json()["owner_api_key"]
    for sku, extra in (("PRO", {"recurring": {"rebill_price_cents": 995, "frequency": {"unit": "month", "count": 1},
                                              "rebills": 11}}), ("BOX", {"kind": "physical", "ship_to": ["US"]})):
        body = {"sku": sku, "account": "shop", "title": sku, "kind": "digital", "currency": "USD",
                "initial_price_cents": 2995, "commission_initial_pct": 55, "commission_rebill_pct": 55, **extra}
        assert client.post("/api/v1/products", json=body, headers=bearer(owner)).status_code == 201
        assert client.post(f"/api/v1/products/{sku}/approve", headers=bearer(staff_key)).status_code == 200
    return {"owner": owner, "other": other}


def order(client, sku="PRO", payment=VISA, **extra):
    return client.post("/api/v1/orders", json={"sku": sku, "customer": {"email": "buyer@example.test",
                                                                        "name": "Buyer", "country": "US"},
                                               "payment": payment, **extra})


@pytest.fixture
def ticket_shop(client, staff_key, engine):
    """acme with an owner key, a clerk key without Manage Tickets, globex's key, one recurring order."""
    now = StoredClock(engine).now()                       # Mon 2026-01-05 00:00 UTC
    with Session(engine) as s:
        acct, owner = factories.account(s, now)
        other, other_owner = factories.account(s, now, nickname="globex", tz="Europe/Berlin")
        prod = factories.product(s, now, owner, acct)
        order = factories.order(s, engine, StoredClock(engine), prod, acct, paid_at=now - timedelta(days=3))
        keys = {
            "owner": auth.create_api_key(s, now=now, user_id=owner.user_id),
            "other": auth.create_api_key(s, now=now, user_id=other_owner.user_id),
            "clerk": auth.create_api_key(s, now=now, user_id=factories.clerk(s, now, acct, roles=(
                Role.MANAGE_ORDERS,)).user_id),
        }
        s.commit()
        return {"receipt": order.receipt, "email": "buyer@example.test", "keys": keys, "staff": staff_key}


def customer_open(client, shop, type="refund"):
    return client.post("/api/v1/customer/tickets", json={"receipt": shop["receipt"], "email": shop["email"],
                                                         "type": type, "comment": "It does not work"})


def clerk_key(engine, roles, email):
    with Session(engine) as s:
        owner = s.exec(select(User).where(User.email == "owner@shop.test")).one()
        now = StoredClock(engine).now()
        user = auth.create_user(s, now=now, email=email, name="Clerk", master_account_id=owner.master_account_id,
                                roles=set(roles))
        s.flush()
        key = auth.create_api_key(s, now=now, user_id=user.id, name="script")
        s.commit()
        return key


def add_product(client, staff_key, owner, sku, rebill, rebills=5, **extra):
    body = {"sku": sku, "account": "shop", "title": sku, "kind": "digital", "currency": "USD",
            "initial_price_cents": 1000, "commission_initial_pct": 50, "commission_rebill_pct": 50,
            "recurring": {"rebill_price_cents": rebill, "frequency": {"unit": "month", "count": 1},
                          "rebills": rebills}, **extra}
    assert client.post("/api/v1/products", json=body, headers=bearer(owner)).status_code == 201
    assert client.post(f"/api/v1/products/{sku}/approve", headers=bearer(staff_key)).status_code == 200
