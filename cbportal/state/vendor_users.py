"""Vendor users: the Users page with Manage Permissions, and each user's own API keys
(RULES R8). Thin: the services check Manage Users and the account on every call."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.models import Role
from cbportal.services.accounts import accounts, invitations, linking, users
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.core.timefmt import local_text
from cbportal.settings import get_settings
from cbportal.state.base import PageState
from cbportal.state.session import sentence

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



class VendorUsersState(PageState):
    rows: list[UserRow] = []
    keys: list[KeyRow] = []
    can_manage_users: bool = False
    loaded: bool = False
    notice: str = ""
    new_key: str = ""
    editing_id: str = ""
    editing_name: str = ""
    editing_roles: list[str] = []
    editing_api_roles: list[str] = []
    editing_active: bool = True
    editing_email: str = ""
    editing_keys: str = ""
    editing_open: bool = False
    add_key: int = 0        # bumped after a clerk is added: the form starts empty; a refused one keeps its values
    is_owner: bool = False
    linked: list[str] = []
    link_code: str = ""
    link_code_for: str = ""

    def _refresh(self, actor) -> None:
        with reader(get_engine()) as session:
            mine = accounts.accounts_of(session, actor) if not actor.is_staff else []
            zone = mine[0].time_zone if mine else "UTC"          # the account's zone, named (timefmt)
            self.keys = [KeyRow(id=str(k["id"]), name=k["name"], prefix=k["prefix"],
                                created=local_text(k["created_at"], zone), revoked=k["revoked"])
                         for k in users.keys_of(session, actor=actor)]
            self.can_manage_users = actor.has(Role.MANAGE_USERS) and actor.master_account_id is not None
            self.is_owner = actor.is_owner and not actor.is_staff
            self.linked = [a.nickname for a in accounts.accounts_of(session, actor)] if self.is_owner else []
            self.rows = [] if not self.can_manage_users else [
                UserRow(id=str(u["id"]), name=u["name"], email=u["email"], owner=u["owner"],
                        roles=", ".join(ROLE_LABELS[r] for r in u["roles"]) or "no roles",
                        status=("invited" if u["invited"] else "active") if u["active"] else "deactivated",
                        role_list=u["roles"], api_roles=u["api_roles"],
                        keys=", ".join(u["key_prefixes"]) or "no API keys")
                for u in users.list_users(session, actor=actor)]

    def _do(self, fn, done: str) -> None:
        actor = self._require()
        if actor is None:
            return
        try:
            with session_scope() as session:
                fn(session, actor)
        except ServiceError as error:
            self.error, self.notice = sentence(error), ""
            return
        self.error, self.notice = "", done
        self._refresh(actor)

    @rx.event
    def load(self):
        actor, leave = self._enter(routes.VENDOR_USERS)
        if actor is None:
            return leave
        self.new_key, self.error, self.notice, self.link_code = "", "", "", ""
        self._refresh(actor)
        self.loaded = True

    @rx.event
    def add_clerk(self, form: dict):
        """With a password the clerk can log in at once; without one they get an invitation email."""
        roles = [r for r in ROLE_LABELS if form.get("role_" + r) in ("on", True, "true")]
        email, name, password = (str(form.get(k, ""))[:254] for k in ("email", "name", "password"))
        if password:
            self._do(lambda s, a: users.add_clerk(s, now=get_clock().now(), actor=a, email=email, name=name,
                                                  password=password, roles=roles),
                     f"{email} can now log in with the password you chose.")
        else:
            settings = get_settings()
            self._do(lambda s, a: invitations.invite(s, now=get_clock().now(), actor=a, email=email, name=name,
                                                     roles=roles, base_url=settings.base_url, secret=settings.secret),
                     f"An invitation is on its way to {email}: its link lets them choose a password within 7 days.")
        if not self.error:
            self.add_key += 1

    @rx.event
    def edit_roles(self, user_id: str):
        row = next((r for r in self.rows if r["id"] == user_id), None)
        if row is None or row["owner"]:
            return
        self.editing_id, self.editing_name, self.editing_email = user_id, row["name"], row["email"]
        self.editing_roles, self.editing_api_roles = list(row["role_list"]), list(row["api_roles"])
        self.editing_active, self.editing_keys = row["status"] != "deactivated", row["keys"]
        self.error, self.editing_open = "", True

    @rx.event
    def toggle_role(self, role: str, on: bool):
        if role not in ROLE_LABELS:
            return
        roles = set(self.editing_roles)
        (roles.add if on else roles.discard)(role)
        self.editing_roles = sorted(roles)
        if not on:                              # a key never carries a role its user lacks (R8)
            self.editing_api_roles = [r for r in self.editing_api_roles if r != role]

    @rx.event
    def toggle_api_role(self, role: str, on: bool):
        if role not in ROLE_LABELS or (on and role not in self.editing_roles):
            return
        roles = set(self.editing_api_roles)
        (roles.add if on else roles.discard)(role)
        self.editing_api_roles = sorted(roles)

    @rx.event
    def set_editing_active(self, value: bool):
        self.editing_active = bool(value)

    @rx.event
    def set_editing_open(self, value: bool):
        self.editing_open = bool(value)

    @rx.event
    def save_roles(self):
        if not self.editing_id.isdigit():
            return
        self._do(lambda s, a: users.save_permissions(
            s, now=get_clock().now(), actor=a, user_id=int(self.editing_id), active=self.editing_active,
            roles=self.editing_roles, api_roles=self.editing_api_roles), f"Permissions of {self.editing_name} saved.")
        if not self.error:
            self.editing_open = False

    @rx.event
    def set_active(self, user_id: str, active: bool):
        if user_id.isdigit():
            self._do(lambda s, a: users.set_active(s, now=get_clock().now(), actor=a, user_id=int(user_id),
                                                   active=active), "User updated.")

    @rx.event
    def create_key(self, form: dict):
        holder = {}

        def create(session, actor):
            holder["raw"] = users.create_key(session, now=get_clock().now(), actor=actor,
                                             name=str(form.get("key_name", "")))
        self._do(create, "Copy the key now: it is shown only once.")
        self.new_key = holder.get("raw", "")

    @rx.event
    def revoke_key(self, key_id: str):
        if key_id.isdigit():
            self._do(lambda s, a: users.revoke_key(s, now=get_clock().now(), actor=a, key_id=int(key_id)),
                     "Key revoked: it stops working at once.")

    # --- linking vendor accounts (owner) ---------------------------------------------------------

    @rx.event
    def issue_link_code(self, nickname: str):
        holder = {}

        def issue(session, actor):
            holder["code"] = linking.issue_code(session, now=get_clock().now(), actor=actor, nickname=str(nickname))
        self._do(issue, f"Link code for {nickname}: give it to the owner of the other master account.")
        self.link_code, self.link_code_for = holder.get("code", ""), str(nickname)[:40] if holder else ""

    @rx.event
    def link_account(self, form: dict):
        nickname = str(form.get("nickname", "")).strip().lower()[:40]
        self._do(lambda s, a: linking.link(s, now=get_clock().now(), actor=a, nickname=nickname,
                                           code=str(form.get("code", ""))[:100]),
                 f"{nickname} is now linked to your master account.")
