"""Inviting a clerk by email (R8). The owner (or a Manage Users clerk) adds the clerk
without a password; the clerk gets an email with a signed link, valid 7 days, to choose
one. The link works once: it only sets a password on an account that has none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlmodel import Session

from cbportal.models import User
from cbportal.services.accounts import auth, users
from cbportal.services.accounts.auth import Actor
from cbportal.services.core import audit
from cbportal.services.core.errors import Invalid
from cbportal.services.delivery import links, mail

LIFETIME = timedelta(days=7)
NOT_VALID = "this invitation link is not valid, has expired or was already used; ask for a new one"


def _subject(user_id: int, expires: int) -> str:
    return f"{user_id}:{expires}"


def invitation_url(base_url: str, secret: str, user: User, expires: int) -> str:
    sig = links.signature(secret, "invite", _subject(user.id, expires), user.email)
    return f"{base_url}/invite?" + urlencode({"user": user.id, "exp": expires, "email": user.email, "sig": sig})


def invite(session: Session, *, now: datetime, actor: Actor, email: str, name: str, roles, base_url: str,
           secret: str) -> User:
    """Add a clerk with no password and email them the link to set one."""
    user = users.add_clerk(session, now=now, actor=actor, email=email, name=name, password=None, roles=roles)
    expires = int((now + LIFETIME).timestamp())
    mail.queue(session, now=now, kind="invitation", to=user.email,
               subject=f"{actor.name} invited you to cbportal",
               why=f"{actor.name} added you as a user of their vendor account on cbportal.",
               lines=["Choose a password to log in. The link works once and for 7 days."],
               link=invitation_url(base_url, secret, user, expires), link_text="Choose your password")
    audit.record(session, now=now, actor=actor, action="user.invite", entity="user", entity_id=user.id,
                 email=user.email)
    return user


def usable(session: Session, *, now: datetime, user_id: int, expires: int, email: str, sig: str,
           secret: str) -> bool:
    """Can this link still set a password? (The page asks on opening: a used or expired
    link says so at once instead of failing after the password is typed.)"""
    user = session.get(User, user_id)
    try:
        unexpired = datetime.fromtimestamp(expires, UTC) > now
    except (OverflowError, OSError, ValueError):
        unexpired = False
    return (user is not None and user.active and user.password_hash is None and user.email == (email or "").lower()
            and unexpired and links.check(secret, "invite", _subject(user_id, expires), user.email, sig))


def accept(session: Session, *, now: datetime, user_id: int, expires: int, email: str, sig: str, password: str,
           secret: str) -> User:
    """Set the invited clerk's first password; every failure gets the same answer."""
    if not usable(session, now=now, user_id=user_id, expires=expires, email=email, sig=sig, secret=secret):
        raise Invalid(NOT_VALID, "invitation_invalid")
    user = session.get(User, user_id)
    user.password_hash = auth.hash_password(password)
    session.add(user)
    audit.record(session, now=now, actor=auth.actor_for(session, user), action="user.accept_invite", entity="user",
                 entity_id=user.id)
    return user
