"""Users, passwords, browser sessions, API keys and the acting user (RULES R8).

Passwords are bcrypt hashes; browser sessions and API keys are random tokens of
which only a SHA-256 hash is stored. `Actor` is who is acting, with the roles
checked by every service entry point.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import bcrypt
from sqlmodel import Session, col, select

from cbportal.models import ApiKey, Role, User, UserRole, VendorAccount, WebSession
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, Unauthorized

SESSION_LIFETIME = timedelta(days=14)
ALL_ROLES = frozenset(Role)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise Invalid("a password has at least 8 characters", "weak_password")
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=10)).decode()


def verify_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    return bcrypt.checkpw(password.encode()[:72], hashed.encode())


def check_role_set(roles: set[Role]) -> None:
    """Subscription Management is grantable only with Manage Tickets and Manage Orders (R8)."""
    if Role.SUBSCRIPTION_MANAGEMENT in roles and not {Role.MANAGE_TICKETS, Role.MANAGE_ORDERS} <= roles:
        raise Invalid("Subscription Management needs Manage Tickets and Manage Orders too", "role_dependency")


@dataclass(frozen=True)
class Actor:
    """The user behind a request, with what they may do."""
    user_id: int
    email: str
    name: str
    is_staff: bool
    is_owner: bool
    master_account_id: int | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    via_api: bool = False

    @property
    def label(self) -> str:
        return "staff" if self.is_staff else ("owner" if self.is_owner else "clerk")

    def has(self, role: Role) -> bool:
        # An API key carries only its user's API integration roles, also an owner's key.
        return (self.is_owner and not self.via_api) or role in self.roles

    def require(self, role: Role) -> None:
        if not self.has(role):
            raise Forbidden(f"this needs the {role.value.replace('_', ' ')} role", "role_required")

    def require_staff(self) -> None:
        if not self.is_staff:
            raise Forbidden("only platform staff may do this", "staff_only")

    def can_see_account(self, account: VendorAccount) -> bool:
        return self.is_staff or (self.master_account_id is not None
                                 and account.master_account_id == self.master_account_id)


def actor_for(session: Session, user: User, *, via_api: bool = False) -> Actor:
    roles = frozenset(r.role if isinstance(r.role, Role) else Role(r.role) for r in
                      session.exec(select(UserRole).where(UserRole.user_id == user.id)))
    if user.is_owner:
        roles = ALL_ROLES
    if via_api and user.api_roles is not None:     # at most the user's own roles (R8)
        roles = roles & frozenset(Role(r) for r in user.api_roles if r in Role._value2member_map_)
    return Actor(user_id=user.id, email=user.email, name=user.name, is_staff=user.is_staff,
                 is_owner=user.is_owner, master_account_id=user.master_account_id,
                 roles=roles, via_api=via_api)


def create_user(session: Session, *, now: datetime, email: str, name: str, password: str | None = None,
                master_account_id: int | None = None, roles: set[Role] = frozenset(),
                is_owner: bool = False, is_staff: bool = False) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise Invalid("that is not an email address", "invalid_email")
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict("a user with that email exists", "user_exists")
    check_role_set(set(roles))
    user = User(email=email, name=name, password_hash=hash_password(password) if password else None,
                master_account_id=master_account_id, is_owner=is_owner, is_staff=is_staff, created_at=now)
    session.add(user)
    session.flush()
    for role in sorted(set(roles)):
        session.add(UserRole(user_id=user.id, role=role))
    return user


# --- sign-in throttling ----------------------------------------------------------------
# Per account and per address, shared by every process through `attempt_counter` rows.
# The rows are locked (FOR UPDATE / SQLite's write lock) from before the password check
# until the commit, so concurrent guesses are counted one after another, never around
# each other; a failure is committed even though the sign-in is refused.

SIGN_IN_FREE = {"login-user": 5, "login-addr": 20}   # failures before delays start
SIGN_IN_WINDOW = timedelta(hours=1)                   # forgotten after an hour without a failure
SIGN_IN_MAX_DELAY = timedelta(minutes=15)


class SignInThrottled(ServiceError):
    status, default_code = 429, "too_many_sign_ins"

    def __init__(self, retry_after: int):
        from cbportal.services.accounts.ratelimit import wait_phrase

        super().__init__(f"too many failed sign-ins for this account or from your network; "
                         f"try again in {wait_phrase(retry_after)}")
        self.retry_after = retry_after


def sign_in_delay(failures: int, free: int) -> timedelta:
    """No delay for the first `free` failures, then 1 s, 2 s, 4 s, ... up to 15 minutes."""
    if failures < free:
        return timedelta(0)
    return min(SIGN_IN_MAX_DELAY, timedelta(seconds=2 ** min(failures - free, 20)))


# --- browser sessions -----------------------------------------------------------------

def login(session: Session, *, now: datetime, email: str, password: str, address: str = "unknown") -> str:
    """Check the password and open a browser session; returns the token for the browser.
    Throttled per account and per address with growing delays (SignInThrottled)."""
    from cbportal.services.accounts.ratelimit import locked_counter

    email = email.strip().lower()
    keys = {"login-addr": f"login-addr:{address[:64]}", "login-user": f"login-user:{email[:180]}"}
    rows = {kind: locked_counter(session, key, now) for kind, key in sorted(keys.items(), key=lambda kv: kv[1])}
    blocked = [r.blocked_until for r in rows.values() if r.blocked_until and r.blocked_until > now]
    if blocked:
        raise SignInThrottled(max(1, math.ceil((max(blocked) - now).total_seconds())))
    user = session.exec(select(User).where(User.email == email)).first()
    if not user or not user.active or not verify_password(password, user.password_hash):
        for kind, row in rows.items():
            if row.window_start + SIGN_IN_WINDOW <= now:
                row.count = 0
            row.window_start, row.count = now, row.count + 1      # window_start: the last failure
            delay = sign_in_delay(row.count, SIGN_IN_FREE[kind])
            row.blocked_until = now + delay if delay else None
            session.add(row)
        session.commit()        # the failure counts although the sign-in is refused
        raise Unauthorized("wrong email or password", "bad_credentials")
    user_row = rows["login-user"]
    user_row.count, user_row.blocked_until = 0, None
    session.add(user_row)
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_sha256(token), user_id=user.id, created_at=now,
                           expires_at=now + SESSION_LIFETIME))
    return token


class SessionCache:
    """The actors of recently checked browser sessions, for `CACHE_SECONDS` (name and roles).
    A hit still asks the database one indexed question — is the session unrevoked, unexpired,
    its user active? — so a logout or a deactivation made by any process counts at once;
    this process's own logouts, deactivations and role changes also drop the entry."""

    CACHE_SECONDS = 5.0

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()
        self.loads = 0              # full lookups (session, user, roles): for tests and benchmarks

    def get(self, token_hash: str) -> Actor | None:
        with self._lock:
            entry = self._entries.get(token_hash)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, token_hash: str, actor: Actor) -> None:
        with self._lock:
            if len(self._entries) > 10_000:       # a bound: drop the expired ones
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            self._entries[token_hash] = (time.monotonic() + self.CACHE_SECONDS, actor)

    def forget_token(self, token_hash: str) -> None:
        with self._lock:
            self._entries.pop(token_hash, None)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if v[1].user_id != user_id}


session_cache = SessionCache()


def _session_still_valid(session: Session, token_hash: str, now: datetime) -> bool:
    """One indexed read: the session exists, is not revoked or expired, and its user is active."""
    found = session.exec(select(WebSession.id).join(User, col(User.id) == WebSession.user_id).where(
        WebSession.token_hash == token_hash, col(WebSession.revoked_at).is_(None), WebSession.expires_at > now,
        col(User.active).is_(True))).first()
    return found is not None


def actor_for_session(session: Session, *, now: datetime, token: str | None) -> Actor | None:
    """The user of a browser session token, or None when it is unknown, expired or revoked."""
    if not token:
        return None
    token_hash = _sha256(token)
    cached = session_cache.get(token_hash)
    if cached is not None:
        if _session_still_valid(session, token_hash, now):
            return cached
        session_cache.forget_token(token_hash)
        return None
    session_cache.loads += 1
    row = session.exec(select(WebSession).where(WebSession.token_hash == token_hash)).first()
    if not row or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if not user or not user.active:
        return None
    actor = actor_for(session, user)
    session_cache.put(token_hash, actor)
    return actor


def logout(session: Session, *, now: datetime, token: str) -> None:
    session_cache.forget_token(_sha256(token))
    row = session.exec(select(WebSession).where(WebSession.token_hash == _sha256(token))).first()
    if row and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)


# --- API keys -------------------------------------------------------------------------

def create_api_key(session: Session, *, now: datetime, user_id: int, name: str = "") -> str:
    """A new key for a user; the raw key is returned once and only its hash is kept."""
    prefix = secrets.token_hex(4)
    raw = f"cbp_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(user_id=user_id, name=name, prefix=prefix, key_hash=_sha256(raw), created_at=now))
    return raw


def revoke_api_key(session: Session, *, now: datetime, actor: Actor, key_id: int) -> None:
    key = session.get(ApiKey, key_id)
    owner = session.get(User, key.user_id) if key else None
    if not key or not owner or not (owner.id == actor.user_id or (
            actor.has(Role.MANAGE_USERS) and owner.master_account_id == actor.master_account_id)):
        raise NotFound("no such API key", "api_key_not_found")
    key.revoked_at = key.revoked_at or now
    session.add(key)


def actor_for_api_key(session: Session, *, raw: str | None) -> Actor:
    if not raw:
        raise Unauthorized("an API key is needed: Authorization: Bearer <key>", "missing_api_key")
    row = session.exec(select(ApiKey, User).join(User, User.id == ApiKey.user_id)
                       .where(ApiKey.key_hash == _sha256(raw))).first()
    key, user = row if row else (None, None)
    if not key or key.revoked_at is not None:
        raise Unauthorized("that API key is not valid", "invalid_api_key")
    if not user or not user.active:
        raise Unauthorized("that API key is not valid", "invalid_api_key")
    return actor_for(session, user, via_api=True)
