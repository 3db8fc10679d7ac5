"""Users, sessions, API keys and roles (RULES R8); accounts and products services (R5)."""

from datetime import timedelta

import pytest

from cbportal.models import Role
from cbportal.services.accounts import accounts, auth
from cbportal.services.billing import products
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized


@pytest.fixture
def staff(session, clock):
    user = auth.create_user(session, now=clock.now(), email="staff@cbportal.test", name="Staff",
                            password="staff-demo", is_staff=True)
    session.flush()
    return auth.actor_for(session, user)


@pytest.fixture
def acme(session, clock, staff):
    account, key = accounts.create_account(session, now=clock.now(), actor=staff, nickname="acme",
                                           time_zone="America/New_York", account_email="owner@acme.test",
                                           owner_password="owner-demo")
    session.flush()
    return account


def test_r8_login_session_and_logout(session, clock, acme):
    token = auth.login(session, now=clock.now(), email="OWNER@acme.test", password="owner-demo")
    actor = auth.actor_for_session(session, now=clock.now(), token=token)
    assert actor.is_owner and actor.has(Role.SUBSCRIPTION_MANAGEMENT)
    assert auth.actor_for_session(session, now=clock.now() + timedelta(days=15), token=token) is None
    auth.logout(session, now=clock.now(), token=token)
    assert auth.actor_for_session(session, now=clock.now(), token=token) is None
    assert auth.actor_for_session(session, now=clock.now(), token="forged") is None
    with pytest.raises(Unauthorized):
        auth.login(session, now=clock.now(), email="owner@acme.test", password="wrong-password")


def test_r8_passwords_and_keys_are_stored_hashed(session, clock, acme):
    from sqlmodel import select

    from cbportal.models import ApiKey, User

    user = session.exec(select(User).where(User.email == "owner@acme.test")).one()
    assert "owner-demo" not in user.password_hash
    raw = auth.create_api_key(session, now=clock.now(), user_id=user.id)
    session.flush()
    assert all(raw != k.key_hash and raw not in k.key_hash for k in session.exec(select(ApiKey)))
    assert auth.actor_for_api_key(session, raw=raw).user_id == user.id


def test_r8_revoked_key_fails(session, clock, acme):
    from sqlmodel import select

    from cbportal.models import ApiKey, User

    user = session.exec(select(User).where(User.email == "owner@acme.test")).one()
    actor = auth.actor_for(session, user)
    raw = auth.create_api_key(session, now=clock.now(), user_id=user.id)
    session.flush()
    key = session.exec(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id.desc())).first()
    auth.revoke_api_key(session, now=clock.now(), actor=actor, key_id=key.id)
    with pytest.raises(Unauthorized):
        auth.actor_for_api_key(session, raw=raw)


def test_r8_subscription_management_needs_tickets_and_orders(session, clock, acme):
    with pytest.raises(Invalid):
        auth.create_user(session, now=clock.now(), email="c@acme.test", name="C",
                         master_account_id=acme.master_account_id, roles={Role.SUBSCRIPTION_MANAGEMENT})
    clerk = auth.create_user(session, now=clock.now(), email="c@acme.test", name="C",
                             master_account_id=acme.master_account_id,
                             roles={Role.SUBSCRIPTION_MANAGEMENT, Role.MANAGE_TICKETS, Role.MANAGE_ORDERS})
    session.flush()
    actor = auth.actor_for(session, clerk)
    assert actor.has(Role.SUBSCRIPTION_MANAGEMENT) and not actor.has(Role.MANAGE_PRODUCTS)


def test_r8_clerk_without_role_cannot_create_products(session, clock, acme):
    clerk = auth.create_user(session, now=clock.now(), email="t@acme.test", name="T",
                             master_account_id=acme.master_account_id, roles={Role.MANAGE_TICKETS})
    session.flush()
    with pytest.raises(Forbidden):
        products.create_product(session, now=clock.now(), actor=auth.actor_for(session, clerk), sku="X1",
                                account="acme", title="X", kind="digital", currency="USD",
                                initial_price_cents=1000, commission_initial_pct=10)


def test_r8_other_accounts_are_invisible(session, clock, staff, acme):
    other, _ = accounts.create_account(session, now=clock.now(), actor=staff, nickname="globex",
                                       time_zone="UTC", account_email="boss@globex.test")
    session.flush()
    from sqlmodel import select

    from cbportal.models import User

    boss = auth.actor_for(session, session.exec(select(User).where(User.email == "boss@globex.test")).one())
    with pytest.raises(NotFound):
        accounts.visible_account(session, boss, "acme")
    assert [a.nickname for a in accounts.accounts_of(session, boss)] == ["globex"]
    assert [a.nickname for a in accounts.accounts_of(session, staff)] == ["acme", "globex"]


def test_r5_product_limit_500(session, clock, acme):
    from sqlmodel import select

    from cbportal.models import User

    owner = auth.actor_for(session, session.exec(select(User).where(User.email == "owner@acme.test")).one())
    monkey = products.MAX_PRODUCTS_PER_ACCOUNT
    products.MAX_PRODUCTS_PER_ACCOUNT = 2
    try:
        for i in range(2):
            products.create_product(session, now=clock.now(), actor=owner, sku=f"P{i}", account="acme", title="P",
                                    kind="digital", currency="USD", initial_price_cents=1000,
                                    commission_initial_pct=10)
        with pytest.raises(Conflict):
            products.create_product(session, now=clock.now(), actor=owner, sku="P9", account="acme", title="P",
                                    kind="digital", currency="USD", initial_price_cents=1000,
                                    commission_initial_pct=10)
    finally:
        products.MAX_PRODUCTS_PER_ACCOUNT = monkey
    assert products.MAX_PRODUCTS_PER_ACCOUNT == 500


def test_portal_lookup_refuses_a_guessing_client_for_the_window(engine, clock):
    from datetime import timedelta

    from cbportal.services.accounts import ratelimit
    from cbportal.services.billing import orders
    from cbportal.services.core.errors import NotFound

    now = clock.now()
    for n in range(ratelimit.ADDRESS_MAX):
        with pytest.raises(NotFound):
            orders.guarded_lookup(engine, client="10.0.0.9", now=now, receipt=f"X{n}", email="a@b.test")
    with pytest.raises(ratelimit.TooManyAttempts) as refused:
        orders.guarded_lookup(engine, client="10.0.0.9", now=now, receipt="X", email="a@b.test")
    assert refused.value.status == 429 and refused.value.retry_after == 900
    with pytest.raises(NotFound):  # another client is not affected
        orders.guarded_lookup(engine, client="10.0.0.10", now=now, receipt="X", email="a@b.test")
    with pytest.raises(NotFound):  # the window has passed
        orders.guarded_lookup(engine, client="10.0.0.9", now=now + ratelimit.WINDOW + timedelta(seconds=1),
                                 receipt="X", email="a@b.test")
