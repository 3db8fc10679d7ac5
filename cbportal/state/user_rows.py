"""What the Users page shows, built from what services/accounts/users.py returns: the role
names (in the order the page lists them), a user's row and an API key's row. Plain
functions: no session, no Reflex state."""

from __future__ import annotations

from typing import TypedDict

from cbportal.models import Role
from cbportal.services.core.timefmt import local_text

ROLE_LABELS = {Role.MANAGE_TICKETS.value: "Manage Tickets", Role.MANAGE_ORDERS.value: "Manage Orders",
               Role.SUBSCRIPTION_MANAGEMENT.value: "Subscription Management",
               Role.MANAGE_PRODUCTS.value: "Manage Products", Role.MANAGE_USERS.value: "Manage Users",
               Role.REPORT_ACCESS.value: "Report access"}
# The permissions page (the seed's): switches on top, then the roles table.
SWITCH_ROLES = {Role.MANAGE_USERS.value: "May manage users", Role.REPORT_ACCESS.value: "Report access"}
TABLE_ROLES = {k: v for k, v in ROLE_LABELS.items() if k not in SWITCH_ROLES}


class UserRow(TypedDict):
    id: str
    name: str
    email: str
    roles: str
    status: str
    owner: bool
    role_list: list[str]
    api_roles: list[str]
    keys: str


class KeyRow(TypedDict):
    id: str
    name: str
    prefix: str
    created: str
    revoked: bool


def user_row(u: dict) -> UserRow:
    """One user of `users.list_users`: roles by name, invited / active / deactivated."""
    return UserRow(id=str(u["id"]), name=u["name"], email=u["email"], owner=u["owner"],
                   roles=", ".join(ROLE_LABELS[r] for r in u["roles"]) or "no roles",
                   status=("invited" if u["invited"] else "active") if u["active"] else "deactivated",
                   role_list=u["roles"], api_roles=u["api_roles"],
                   keys=", ".join(u["key_prefixes"]) or "no API keys")


def key_row(k: dict, zone: str) -> KeyRow:
    """One key of `users.keys_of`, created at a time shown in the account's zone."""
    return KeyRow(id=str(k["id"]), name=k["name"], prefix=k["prefix"], created=local_text(k["created_at"], zone),
                  revoked=k["revoked"])


def with_role(roles: list[str], role: str, on: bool) -> list[str]:
    """`roles` with `role` granted (on) or taken away, sorted."""
    return sorted(set(roles) | {role} if on else set(roles) - {role})
