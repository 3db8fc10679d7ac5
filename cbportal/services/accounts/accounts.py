"""Vendor accounts, master accounts and their settings (RULES R2 time zone, R4
addresses, R5 reminder days and admin frequencies, R8 owners, R9 INS settings)."""

from __future__ import annotations

import re
from datetime import datetime

import pendulum
from sqlmodel import Session, select

from cbportal.models import MasterAccount, Role, VendorAccount
from cbportal.services.accounts.auth import Actor, create_api_key, create_user
from cbportal.services.core import audit
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, NotFound

NICKNAME = re.compile(r"^[a-z0-9]{3,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_time_zone(name: str) -> str:
    try:
        pendulum.timezone(name)
    except Exception:
        raise Invalid(f"{name!r} is not an IANA time zone (e.g. America/New_York)", "invalid_time_zone") from None
    return name


def valid_email(value: str | None, field: str) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip().lower()
    if not EMAIL.match(value) or len(value) > 254:
        raise Invalid(f"{field} is not an email address", "invalid_email")
    return value


def get_account(session: Session, nickname: str) -> VendorAccount:
    account = session.exec(select(VendorAccount).where(VendorAccount.nickname == nickname)).first()
    if not account:
        raise NotFound(f"no account {nickname!r}", "account_not_found")
    return account


def visible_account(session: Session, actor: Actor, nickname: str) -> VendorAccount:
    """The account if the actor may see it; 404 otherwise (never reveal others' accounts)."""
    account = get_account(session, nickname)
    if not actor.can_see_account(account):
        raise NotFound(f"no account {nickname!r}", "account_not_found")
    return account


def accounts_of(session: Session, actor: Actor) -> list[VendorAccount]:
    query = select(VendorAccount).order_by(VendorAccount.nickname)
    if not actor.is_staff:
        query = query.where(VendorAccount.master_account_id == actor.master_account_id)
    return list(session.exec(query))


def accounts_for(session: Session, actor: Actor, role: Role, nickname: str = "") -> list[VendorAccount]:
    """The actor's linked accounts for work that needs `role` (staff: every account), or only
    the one named; another master's nickname is "no such account"."""
    if not actor.is_staff:
        actor.require(role)
    accounts = accounts_of(session, actor)
    if nickname:
        accounts = [a for a in accounts if a.nickname == nickname]
        if not accounts:
            raise NotFound(f"no account {nickname!r} among yours", "account_not_found")
    return accounts


def create_account(session: Session, *, now: datetime, actor: Actor, nickname: str, time_zone: str,
                   account_email: str, customer_service_email: str | None = None,
                   admin_frequencies: bool = False, owner_password: str | None = None,
                   owner_name: str | None = None) -> tuple[VendorAccount, str]:
    """Staff create a vendor account with its master account and owner; returns the owner's API key."""
    actor.require_staff()
    nickname = nickname.strip().lower()
    if not NICKNAME.match(nickname):
        raise Invalid("a nickname is 3-20 lower-case letters or digits", "invalid_nickname")
    if session.exec(select(VendorAccount).where(VendorAccount.nickname == nickname)).first():
        raise Conflict(f"the nickname {nickname!r} is taken", "nickname_taken")
    email = valid_email(account_email, "account_email")
    if not email:
        raise Invalid("account_email is required", "invalid_email")
    master = MasterAccount(name=nickname, created_at=now)
    session.add(master)
    session.flush()
    account = VendorAccount(
        nickname=nickname, master_account_id=master.id, time_zone=valid_time_zone(time_zone),
        account_email=email, customer_service_email=valid_email(customer_service_email, "customer_service_email"),
        admin_frequencies=admin_frequencies, created_at=now)
    session.add(account)
    owner = create_user(session, now=now, email=email, name=owner_name or nickname, password=owner_password,
                        master_account_id=master.id, is_owner=True)
    key = create_api_key(session, now=now, user_id=owner.id, name="owner")
    session.flush()
    audit.record(session, now=now, actor=actor, action="account.create", entity="vendor_account",
                 entity_id=account.id, account_id=account.id, nickname=nickname)
    return account, key


def check_ins_url(url: str) -> None:
    """INS URLs lead only to public http(s) addresses, checked after DNS resolution (R9)."""
    from cbportal.services.delivery import ins, outbound

    try:
        outbound.check_url(url, allow_private=ins.allow_private())
    except outbound.OutboundRefused as refused:
        message = {"invalid_url": "the INS URL must be an http:// or https:// address",
                   "host_not_found": "the INS URL's host name was not found",
                   }.get(refused.code, "the INS URL must lead to a public internet address, not a local or "
                                       "private network")
        raise Invalid(message, "invalid_url" if refused.code == "invalid_url" else "ins_url_not_public") from None


SETTINGS_FIELDS = ("time_zone", "customer_service_email", "reminder_days", "ins_url", "ins_secret",
                   "contact_phone", "contact_url")


def update_settings(session: Session, *, now: datetime, actor: Actor, nickname: str, **changes) -> VendorAccount:
    """The owner changes an account's settings; unknown fields are refused."""
    account = visible_account(session, actor, nickname)
    if not actor.is_owner:
        raise Forbidden("only the account owner may change settings", "owner_only")
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise Invalid(f"unknown settings: {', '.join(sorted(unknown))}", "unknown_setting")
    if "time_zone" in changes and changes["time_zone"] is not None:
        account.time_zone = valid_time_zone(changes["time_zone"])
    if "customer_service_email" in changes:
        account.customer_service_email = valid_email(changes["customer_service_email"], "customer_service_email")
    if changes.get("reminder_days") is not None:
        days = changes["reminder_days"]
        if not isinstance(days, int) or not 0 <= days <= 60:
            raise Invalid("reminder_days is a whole number from 0 to 60", "invalid_reminder_days")
        account.reminder_days = days
    if "ins_url" in changes:
        url = changes["ins_url"] or None
        if url:
            check_ins_url(url)
        account.ins_url = url
    for name in ("ins_secret", "contact_phone", "contact_url"):
        if name in changes:
            setattr(account, name, changes[name] or None)
    session.add(account)
    audit.record(session, now=now, actor=actor, action="account.settings", entity="vendor_account",
                 entity_id=account.id, account_id=account.id, fields=sorted(changes))
    return account


def account_view(account: VendorAccount) -> dict:
    return {
        "nickname": account.nickname, "time_zone": account.time_zone,
        "account_email": account.account_email, "customer_service_email": account.customer_service_email,
        "admin_frequencies": account.admin_frequencies, "abuse_flagged": account.abuse_flagged,
        "reminder_days": account.reminder_days, "ins_url": account.ins_url,
        "contact_phone": account.contact_phone, "contact_url": account.contact_url,
    }
