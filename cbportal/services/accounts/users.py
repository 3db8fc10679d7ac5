"""Users of a master account and their roles and API keys (RULES R8).

A user with Manage Users (the owner has every role) adds clerks, sets their roles
(Subscription Management only together with Manage Tickets and Manage Orders) and
deactivates them; the owner's own roles can't be changed. Every user manages their
own API keys: a new key is shown once, only its hash is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from cbportal.models import ApiKey, Role, User, UserRole
from cbportal.services.accounts import auth
from cbportal.services.accounts.auth import Actor
from cbportal.services.core import audit
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, NotFound


def _roles(values) -> set[Role]:
    try:
        return {Role(v) for v in values}
    except ValueError:
        raise Invalid(f"roles are {', '.join(r.value for r in Role)}", "invalid_role") from None


def _manager(actor: Actor) -> None:
    if actor.master_account_id is None:
        raise Forbidden("only users of a vendor master account manage users", "no_master_account")
    actor.require(Role.MANAGE_USERS)


def _member(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.master_account_id != actor.master_account_id:
        raise NotFound("no such user in your account", "user_not_found")
    return user


def list_users(session: Session, *, actor: Actor) -> list[dict]:
    """Every user of the actor's master account with roles and key counts."""
    _manager(actor)
    users = session.exec(select(User).where(User.master_account_id == actor.master_account_id)
                         .order_by(User.is_owner.desc(), User.name)).all()
    out = []
    for user in users:
        roles = sorted(r.value for r in auth.actor_for(session, user).roles)
        keys = session.exec(select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))).all()
        api_roles = roles if user.api_roles is None else sorted(set(user.api_roles) & set(roles))
        out.append({"id": user.id, "email": user.email, "name": user.name, "owner": user.is_owner,
                    "active": user.active, "invited": user.password_hash is None, "roles": roles,
                    "api_roles": api_roles, "api_keys": len(keys),
                    "key_prefixes": [f"cbp_{k.prefix}_…" for k in keys]})
    return out


def add_clerk(session: Session, *, now: datetime, actor: Actor, email: str, name: str, password: str | None,
              roles) -> User:
    _manager(actor)
    if not (name or "").strip():
        raise Invalid("a user needs a name", "missing_name")
    user = auth.create_user(session, now=now, email=email, name=name.strip(), password=password,
                            master_account_id=actor.master_account_id, roles=_roles(roles))
    audit.record(session, now=now, actor=actor, action="user.add", entity="user", entity_id=user.id,
                 email=user.email, roles=sorted(r.value for r in _roles(roles)))
    return user


def set_roles(session: Session, *, now: datetime, actor: Actor, user_id: int, roles) -> None:
    """Manage Permissions: replace a clerk's roles (R8 dependency rule checked)."""
    _manager(actor)
    user = _member(session, actor, user_id)
    if user.is_owner:
        raise Conflict("the owner always has every role", "owner_roles_fixed")
    wanted = _roles(roles)
    auth.check_role_set(wanted)
    if user.id == actor.user_id and Role.MANAGE_USERS not in wanted:
        raise Conflict("you can't take Manage Users from yourself", "own_manage_users")
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    auth.session_cache.forget_user(user.id)
    for role in sorted(wanted):
        session.add(UserRole(user_id=user.id, role=role))
    audit.record(session, now=now, actor=actor, action="user.roles", entity="user", entity_id=user.id,
                 roles=sorted(r.value for r in wanted))


def save_permissions(session: Session, *, now: datetime, actor: Actor, user_id: int, active: bool, roles,
                     api_roles) -> None:
    """The permissions page in one save: enabled, the roles (with Manage Users and report
    access), and the API integration roles, which must be among the roles (R8)."""
    _manager(actor)
    user = _member(session, actor, user_id)
    wanted, api_wanted = _roles(roles), _roles(api_roles)
    if not api_wanted <= wanted:
        raise Invalid("API integration roles must be among the user's own roles", "api_roles_not_held")
    set_roles(session, now=now, actor=actor, user_id=user_id, roles=roles)
    user.api_roles = sorted(r.value for r in api_wanted)
    session.add(user)
    if bool(active) != user.active:
        set_active(session, now=now, actor=actor, user_id=user_id, active=active)
    audit.record(session, now=now, actor=actor, action="user.api_roles", entity="user", entity_id=user.id,
                 api_roles=user.api_roles)


def set_active(session: Session, *, now: datetime, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (or reactivate) a clerk: sessions and keys stop working at once."""
    _manager(actor)
    user = _member(session, actor, user_id)
    if user.is_owner or user.id == actor.user_id:
        raise Conflict("the owner and you yourself can't be deactivated", "cannot_deactivate")
    user.active = bool(active)
    session.add(user)
    auth.session_cache.forget_user(user.id)
    audit.record(session, now=now, actor=actor, action="user.active", entity="user", entity_id=user.id,
                 active=user.active)


def keys_of(session: Session, *, actor: Actor) -> list[dict]:
    rows = session.exec(select(ApiKey).where(ApiKey.user_id == actor.user_id).order_by(ApiKey.created_at.desc(),
                                                                                      ApiKey.id.desc())).all()
    return [{"id": k.id, "name": k.name, "prefix": f"cbp_{k.prefix}_…", "created_at": k.created_at.isoformat(),
             "revoked": k.revoked_at is not None} for k in rows]


def create_key(session: Session, *, now: datetime, actor: Actor, name: str) -> str:
    """A new key for the actor, with the actor's roles; the raw key is returned once."""
    name = (name or "").strip()[:80]
    if not name:
        raise Invalid("name the key after what will use it", "missing_name")
    raw = auth.create_api_key(session, now=now, user_id=actor.user_id, name=name)
    audit.record(session, now=now, actor=actor, action="api_key.create", entity="user", entity_id=actor.user_id,
                 name=name)
    return raw


def revoke_key(session: Session, *, now: datetime, actor: Actor, key_id: int) -> None:
    auth.revoke_api_key(session, now=now, actor=actor, key_id=key_id)
    audit.record(session, now=now, actor=actor, action="api_key.revoke", entity="api_key", entity_id=key_id)
