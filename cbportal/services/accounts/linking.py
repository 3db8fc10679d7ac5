"""Linking vendor accounts into one master account (R8). The owner of an account proves
it is theirs by issuing a one-time link code (valid 24 hours, only its hash is kept); the
owner of another master account enters the nickname and the code, and the account moves
to their master account. Users of the old master account stop seeing it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from cbportal.models import VendorAccount
from cbportal.services.accounts.accounts import visible_account
from cbportal.services.accounts.auth import Actor
from cbportal.services.core import audit
from cbportal.services.core.errors import Conflict, Forbidden, NotFound

CODE_LIFETIME = timedelta(hours=24)
NO_MATCH = "no account matches that nickname and link code (codes last 24 hours and work once)"


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _require_owner(actor: Actor) -> None:
    if actor.is_staff or not actor.is_owner:
        raise Forbidden("only the owner of a master account may link accounts", "owner_only")


def issue_code(session: Session, *, now: datetime, actor: Actor, nickname: str) -> str:
    """A new link code for one of the owner's accounts (the previous code stops working)."""
    _require_owner(actor)
    account = visible_account(session, actor, nickname)
    code = "LINK-" + secrets.token_urlsafe(12)
    account.link_code_hash, account.link_code_expires_at = _digest(code), now + CODE_LIFETIME
    session.add(account)
    audit.record(session, now=now, actor=actor, action="account.link_code", entity="vendor_account",
                 entity_id=account.id, account_id=account.id)
    return code


def link(session: Session, *, now: datetime, actor: Actor, nickname: str, code: str) -> VendorAccount:
    """Move the account into the actor's master account if the code is its current one."""
    _require_owner(actor)
    account = session.exec(select(VendorAccount).where(VendorAccount.nickname == nickname.strip().lower())).first()
    if account is not None and account.master_account_id == actor.master_account_id:
        raise Conflict(f"{account.nickname} is already linked to your master account", "already_linked")
    if (account is None or not account.link_code_hash or account.link_code_expires_at is None
            or account.link_code_expires_at <= now or not hmac.compare_digest(account.link_code_hash, _digest(code))):
        raise NotFound(NO_MATCH, "link_code_invalid")   # one answer: never reveal which nicknames exist
    old_master = account.master_account_id
    moved = session.execute(update(VendorAccount).where(
        VendorAccount.id == account.id, VendorAccount.master_account_id == old_master,
        VendorAccount.link_code_hash == account.link_code_hash)
        .values(master_account_id=actor.master_account_id, link_code_hash=None, link_code_expires_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise Conflict("the account changed while linking; try again", "link_conflict")
    audit.record(session, now=now, actor=actor, action="account.linked", entity="vendor_account",
                 entity_id=account.id, account_id=account.id, from_master=old_master, to_master=actor.master_account_id)
    session.expire(account)
    return account
