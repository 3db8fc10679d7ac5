"""Linking vendor accounts into a master account (R8): a one-time code from the account's
owner, valid 24 hours; a wrong, used or expired code, or an unknown nickname, gets the same
answer; only owners link; after linking the new master's users see the account."""

from datetime import timedelta

import pytest

from cbportal.models import Role
from cbportal.services.accounts import accounts, linking
from cbportal.services.core.errors import Conflict, Forbidden, NotFound
from tests import factories


@pytest.fixture
def two(session, clock):
    now = clock.now()
    acme, acme_owner = factories.account(session, now, nickname="acme")
    beta, beta_owner = factories.account(session, now, nickname="beta")
    session.commit()
    return {"now": now, "acme": acme, "acme_owner": acme_owner, "beta_owner": beta_owner, "beta": beta}


def names(session, actor):
    return [a.nickname for a in accounts.accounts_of(session, actor)]


def test_r8_link_with_a_code_moves_the_account(session, two):
    now = two["now"]
    code = linking.issue_code(session, now=now, actor=two["beta_owner"], nickname="beta")
    session.commit()
    linking.link(session, now=now + timedelta(hours=1), actor=two["acme_owner"], nickname="BETA", code=code)
    session.commit()
    assert names(session, two["acme_owner"]) == ["acme", "beta"]
    assert names(session, two["beta_owner"]) == []
    with pytest.raises(Conflict) as again:        # already there
        linking.link(session, now=now, actor=two["acme_owner"], nickname="beta", code=code)
    assert again.value.code == "already_linked"


def test_r8_bad_codes_get_one_answer(session, two):
    now = two["now"]
    code = linking.issue_code(session, now=now, actor=two["beta_owner"], nickname="beta")
    session.commit()
    for nickname, attempt, at in [("beta", "LINK-wrong", now), ("nobody", code, now),
                                  ("beta", code, now + linking.CODE_LIFETIME)]:
        with pytest.raises(NotFound) as refused:
            linking.link(session, now=at, actor=two["acme_owner"], nickname=nickname, code=attempt)
        assert (refused.value.code, refused.value.message) == ("link_code_invalid", linking.NO_MATCH)
    newer = linking.issue_code(session, now=now, actor=two["beta_owner"], nickname="beta")
    session.commit()
    with pytest.raises(NotFound):                 # a new code replaces the old one
        linking.link(session, now=now, actor=two["acme_owner"], nickname="beta", code=code)
    linking.link(session, now=now, actor=two["acme_owner"], nickname="beta", code=newer)


def test_r8_only_owners_issue_and_link(session, two):
    now = two["now"]
    clerk = factories.clerk(session, now, two["acme"], roles=tuple(Role))
    with pytest.raises(Forbidden):
        linking.issue_code(session, now=now, actor=clerk, nickname="acme")
    with pytest.raises(NotFound):                 # another master's account: not visible
        linking.issue_code(session, now=now, actor=two["acme_owner"], nickname="beta")
    code = linking.issue_code(session, now=now, actor=two["beta_owner"], nickname="beta")
    with pytest.raises(Forbidden):
        linking.link(session, now=now, actor=clerk, nickname="beta", code=code)
    with pytest.raises(Forbidden):
        linking.link(session, now=now, actor=factories.staff(session, now), nickname="beta", code=code)
