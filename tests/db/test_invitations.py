"""Inviting clerks by email (R8): the invitation is written with the user, its signed link
sets the first password once, within 7 days; any other link gets the same refusal."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

from cbportal.models import EmailOutbox, Role, User
from cbportal.services.accounts import auth, invitations
from cbportal.services.core.errors import Forbidden, Invalid, Unauthorized
from cbportal.services.delivery.mail import bodies
from tests import factories

SECRET = "test-secret"


def link_of(session):
    row = session.exec(select(EmailOutbox).where(EmailOutbox.kind == "invitation")).one()
    url = next(line for line in bodies(row)[0].splitlines() if "/invite?" in line).split(": ", 1)[1]
    q = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    return row, {"user_id": int(q["user"]), "expires": int(q["exp"]), "email": q["email"], "sig": q["sig"]}


@pytest.fixture
def invited(session, clock):
    now = clock.now()
    acct, owner = factories.account(session, now)
    invitations.invite(session, now=now, actor=owner, email="New.Clerk@acme.test", name="Nia",
                       roles=[Role.MANAGE_TICKETS], base_url="https://portal.test", secret=SECRET)
    session.commit()
    return {"now": now, "owner": owner, "acct": acct}


def test_r8_invited_clerk_sets_a_password_once(session, invited):
    row, link = link_of(session)
    assert row.to_addr == "new.clerk@acme.test" and "acme" in row.subject
    with pytest.raises(Unauthorized):            # no password yet: cannot log in
        auth.login(session, now=invited["now"], email="new.clerk@acme.test", password="")
    invitations.accept(session, now=invited["now"] + timedelta(days=6), password="clerk-pass-1", secret=SECRET,
                       **link)
    session.commit()
    assert auth.login(session, now=invited["now"], email="new.clerk@acme.test", password="clerk-pass-1")
    with pytest.raises(Invalid) as again:        # the link works once
        invitations.accept(session, now=invited["now"], password="other-pass-2", secret=SECRET, **link)
    assert again.value.message == invitations.NOT_VALID


def test_r8_expired_forged_or_weak(session, invited):
    _, link = link_of(session)
    for changes, at in [({}, invited["now"] + invitations.LIFETIME), ({"sig": "0" * 32}, invited["now"]),
                        ({"email": "owner@acme.test"}, invited["now"]), ({"user_id": 1}, invited["now"]),
                        ({"expires": link["expires"] + 86400}, invited["now"])]:
        with pytest.raises(Invalid) as refused:
            invitations.accept(session, now=at, password="clerk-pass-1", secret=SECRET, **{**link, **changes})
        assert refused.value.code == "invitation_invalid"
    with pytest.raises(Invalid) as weak:
        invitations.accept(session, now=invited["now"], password="short", secret=SECRET, **link)
    assert weak.value.code == "weak_password"
    assert session.exec(select(User).where(User.email == "new.clerk@acme.test")).one().password_hash is None


def test_r8_only_user_managers_invite(session, invited):
    clerk = factories.clerk(session, invited["now"], invited["acct"], roles=(Role.MANAGE_TICKETS,))
    with pytest.raises(Forbidden):
        invitations.invite(session, now=invited["now"], actor=clerk, email="x@acme.test", name="X", roles=[],
                           base_url="", secret=SECRET)
