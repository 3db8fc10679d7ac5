"""Users, roles and API keys of a master account (RULES R8)."""

import pytest

from cbportal.models import Role
from cbportal.services.accounts import auth, users
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from tests import factories

ALL = [r.value for r in Role]


@pytest.fixture
def acme(session, clock):
    acct, owner = factories.account(session, clock.now(), nickname="acme")
    _, other_owner = factories.account(session, clock.now(), nickname="other")
    session.commit()
    return {"acct": acct, "owner": owner, "other": other_owner}


def test_r8_owner_adds_a_clerk_and_sets_permissions(session, clock, acme):
    clerk = users.add_clerk(session, now=clock.now(), actor=acme["owner"], email="Carl@acme.test", name="Carl",
                            password="long-enough", roles=["manage_tickets"])
    session.flush()
    listed = {u["email"]: u for u in users.list_users(session, actor=acme["owner"])}
    assert listed["carl@acme.test"]["roles"] == ["manage_tickets"]
    assert listed["owner@acme.test"]["roles"] == sorted(ALL) and listed["owner@acme.test"]["owner"]
    with pytest.raises(Invalid) as dependency:
        users.set_roles(session, now=clock.now(), actor=acme["owner"], user_id=clerk.id,
                        roles=["manage_tickets", "subscription_management"])
    assert dependency.value.code == "role_dependency"
    users.set_roles(session, now=clock.now(), actor=acme["owner"], user_id=clerk.id,
                    roles=["manage_tickets", "manage_orders", "subscription_management"])
    assert auth.actor_for(session, clerk).has(Role.SUBSCRIPTION_MANAGEMENT)
    with pytest.raises(Conflict):
        users.set_roles(session, now=clock.now(), actor=acme["owner"], user_id=session.get(
            factories.User, acme["owner"].user_id).id, roles=[])
    with pytest.raises(Invalid):
        users.set_roles(session, now=clock.now(), actor=acme["owner"], user_id=clerk.id, roles=["root"])


def test_r8_only_manage_users_and_only_in_the_own_account(session, clock, acme):
    clerk = factories.clerk(session, clock.now(), acme["acct"], roles=(Role.MANAGE_TICKETS,))
    with pytest.raises(Forbidden):
        users.list_users(session, actor=clerk)
    with pytest.raises(Forbidden):
        users.add_clerk(session, now=clock.now(), actor=clerk, email="x@acme.test", name="X", password="long-enough",
                        roles=[])
    with pytest.raises(NotFound):
        users.set_roles(session, now=clock.now(), actor=acme["other"], user_id=clerk.user_id, roles=[])
    with pytest.raises(Forbidden):
        users.list_users(session, actor=factories.staff(session, clock.now()))


def test_deactivated_clerk_loses_sessions_and_keys(session, clock, acme):
    clerk = users.add_clerk(session, now=clock.now(), actor=acme["owner"], email="gone@acme.test", name="Gone",
                            password="long-enough", roles=["manage_tickets"])
    session.flush()
    actor = auth.actor_for(session, clerk)
    token = auth.login(session, now=clock.now(), email="gone@acme.test", password="long-enough")
    raw = users.create_key(session, now=clock.now(), actor=actor, name="helpdesk")
    session.flush()
    assert users.keys_of(session, actor=actor)[0]["name"] == "helpdesk"
    users.set_active(session, now=clock.now(), actor=acme["owner"], user_id=clerk.id, active=False)
    session.flush()
    assert auth.actor_for_session(session, now=clock.now(), token=token) is None
    with pytest.raises(Unauthorized):
        auth.actor_for_api_key(session, raw=raw)
    with pytest.raises(Conflict):
        users.set_active(session, now=clock.now(), actor=acme["owner"], user_id=acme["owner"].user_id, active=False)


def test_api_keys_are_shown_once_and_revocable(session, clock, acme):
    raw = users.create_key(session, now=clock.now(), actor=acme["owner"], name="zendesk")
    session.flush()
    assert raw.startswith("cbp_") and auth.actor_for_api_key(session, raw=raw).user_id == acme["owner"].user_id
    listed = users.keys_of(session, actor=acme["owner"])
    assert raw not in str(listed)
    key_id = [k for k in listed if k["name"] == "zendesk"][0]["id"]
    with pytest.raises(NotFound):
        users.revoke_key(session, now=clock.now(), actor=acme["other"], key_id=key_id)
    users.revoke_key(session, now=clock.now(), actor=acme["owner"], key_id=key_id)
    session.flush()
    with pytest.raises(Unauthorized):
        auth.actor_for_api_key(session, raw=raw)
    with pytest.raises(Invalid):
        users.create_key(session, now=clock.now(), actor=acme["owner"], name="  ")
