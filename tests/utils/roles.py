"""The people and data a role x action test runs against (RULES R8): `world` is acme with
its owner, a clerk holding only Manage Tickets, another account's owner, one recurring
order and everyone signed in; `mw` adds an acme clerk holding no role ("bare") and an open
acme ticket whose words (`SECRET_WORDS`) must never reach a refused caller. Registered for
tests/db by its conftest.py."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from cbportal import db
from cbportal.models import ApiKey, Opener, Order, Role, Subscription, User, VendorAccount
from cbportal.services.accounts import auth
from cbportal.services.core import clock as clock_module
from cbportal.services.tickets import lifecycle as tickets
from tests import factories

SECRET_WORDS = "The matrix must never show this sentence"


@pytest.fixture
def world(engine, clock):
    db.use_engine(engine)
    clock_module.use_clock(clock)
    now = clock.now()
    with Session(engine) as s:
        acct, owner = factories.account(s, now, nickname="acme")
        other, _ = factories.account(s, now, nickname="other")
        clerk = factories.clerk(s, now, acct, roles=(Role.MANAGE_TICKETS,), email="tickets@acme.test")
        prod = factories.product(s, now, owner, acct, rebill=995)
        order = factories.order(s, engine, clock, prod, acct, paid_at=now - timedelta(days=3))
        sub = s.exec(select(Subscription).where(Subscription.order_id == order.id)).one()
        sub.rebills_total = sub.payments_remaining = 11
        owner_key = auth.create_api_key(s, now=now, user_id=owner.user_id, name="owner")
        s.flush()
        for email in ("tickets@acme.test", "owner@other.test", "owner@acme.test"):
            user = s.exec(select(User).where(User.email == email)).one()
            user.password_hash = auth.hash_password("password-123")
            s.add(user)
        s.flush()
        tokens = {"clerk": auth.login(s, now=now, email="tickets@acme.test", password="password-123"),
                  "stranger": auth.login(s, now=now, email="owner@other.test", password="password-123"),
                  "owner": auth.login(s, now=now, email="owner@acme.test", password="password-123"), "nobody": ""}
        key_id = s.exec(select(ApiKey.id).where(ApiKey.user_id == owner.user_id)).first()
        s.commit()
        ids = {"receipt": order.receipt, "clerk_id": clerk.user_id, "key_id": key_id, "owner_key": owner_key,
               "sub_id": sub.id}
    yield {"engine": engine, "tokens": tokens, **ids}
    db.use_engine(None)
    clock_module.use_clock(None)


@pytest.fixture
def mw(world):
    """The forged-events world plus an acme clerk with no role, and an open acme ticket."""
    now = clock_module.get_clock().now()
    with Session(world["engine"]) as s:
        acct = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
        factories.clerk(s, now, acct, roles=(), email="bare@acme.test")
        s.flush()
        bare = s.exec(select(User).where(User.email == "bare@acme.test")).one()
        bare.password_hash = auth.hash_password("password-123")
        order = s.exec(select(Order).where(Order.receipt == world["receipt"])).one()
        ticket = tickets.open_ticket(s, now=now, order=order, type="refund", who=tickets.CUSTOMER,
                                     opener=Opener.CUSTOMER, comment=SECRET_WORDS)
        s.flush()
        world = {**world, "ticket_id": ticket.id,
                 "tokens": {**world["tokens"], "bare": auth.login(s, now=now, email="bare@acme.test",
                                                                  password="password-123")}}
        s.commit()
    return world
