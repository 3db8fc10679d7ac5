"""Vendor users: the Users page with Manage Permissions, and each user's own API keys
(RULES R8). Thin: the services check Manage Users and the account on every call."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.models import Role
from cbportal.services import accounts, invitations, linking, users
from cbportal.services.clock import get_clock
from cbportal.services.errors import ServiceError
from cbportal.settings import get_settings
from cbportal.state.session import SessionState, sentence

ROLE_LABELS = {Role.MANAGE_TICKETS.value: "Manage Tickets", Role.MANAGE_ORDERS.value: "Manage Orders",
               Role.SUBSCRIPTION_MANAGEMENT.value: "Subscription Management",
               Role.MANAGE_PRODUCTS.value: "Manage Products", Role.MANAGE_USERS.value: "Manage Users"}


class UserRow(TypedDict):
    id: str
    name: str
    email: str
    roles: str
    status: str
    owner: bool


class KeyRow(TypedDict):
    id: str
    name: str
    prefix: str
    created: str
    revoked: bool



class VendorUsersState(SessionState):
    rows: list[UserRow] = []
    keys: list[KeyRow] = []
    can_manage_users: bool = False
    loaded: bool = False
    error: str = ""
    notice: str = ""
    new_key: str = ""
    editing_id: str = ""
    editing_name: str = ""
    editing_roles: list[str] = []
    editing_open: bool = False
    is_owner: bool = False
    linked: list[str] = []
    link_code: str = ""
    link_code_for: str = ""

    def _refresh(self, actor) -> None:
        with reader(get_engine()) as session:
            self.keys = [KeyRow(id=str(k["id"]), name=k["name"], prefix=k["prefix"], created=k["created_at"][:16],
                                revoked=k["revoked"]) for k in users.keys_of(session, actor=actor)]
            self.can_manage_users = actor.has(Role.MANAGE_USERS) and actor.master_account_id is not None
            self.is_owner = actor.is_owner and not actor.is_staff
            self.linked = [a.nickname for a in accounts.accounts_of(session, actor)] if self.is_owner else []
            self.rows = [] if not self.can_manage_users else [
                UserRow(id=str(u["id"]), name=u["name"], email=u["email"], owner=u["owner"],
                        roles=", ".join(ROLE_LABELS[r] for r in u["roles"]),
                        status="active" if u["active"] else "deactivated")
                for u in users.list_users(session, actor=actor)]

    def _do(self, fn, done: str) -> None:
        actor = self._actor()
        if actor is None:
            self.error = "Your session has ended; log in again."
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
        actor = self._actor()
        self._show(actor)
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.VENDOR_USERS}")
        self.new_key, self.error, self.notice, self.link_code = "", "", "", ""
        self._refresh(actor)
        self.loaded = True

    @rx.event
    def add_clerk(self, form: dict):
        """With a password the clerk can log in at once; without one they get an invitation email."""
        roles = [r for r in ROLE_LABELS if form.get("role_" + r) in ("on", True, "true")]
        email, name, password = (str(form.get(k, "")) for k in ("email", "name", "password"))
        if password:
            self._do(lambda s, a: users.add_clerk(s, now=get_clock().now(), actor=a, email=email, name=name,
                                                  password=password, roles=roles),
                     f"{email} can now log in with the password you chose.")
            return
        settings = get_settings()
        self._do(lambda s, a: invitations.invite(s, now=get_clock().now(), actor=a, email=email, name=name,
                                                 roles=roles, base_url=settings.base_url, secret=settings.secret),
                 f"An invitation is on its way to {email}: its link lets them choose a password within 7 days.")

    @rx.event
    def edit_roles(self, user_id: str):
        row = next((r for r in self.rows if r["id"] == user_id), None)
        if row is None or row["owner"]:
            return
        self.editing_id, self.editing_name = user_id, row["name"]
        self.editing_roles = [k for k, label in ROLE_LABELS.items() if label in row["roles"].split(", ")]
        self.editing_open = True

    @rx.event
    def toggle_role(self, role: str, on: bool):
        if role not in ROLE_LABELS:
            return
        roles = set(self.editing_roles)
        (roles.add if on else roles.discard)(role)
        self.editing_roles = sorted(roles)

    @rx.event
    def set_editing_open(self, value: bool):
        self.editing_open = bool(value)

    @rx.event
    def save_roles(self):
        if not self.editing_id.isdigit():
            return
        self._do(lambda s, a: users.set_roles(s, now=get_clock().now(), actor=a, user_id=int(self.editing_id),
                                              roles=self.editing_roles), f"Permissions of {self.editing_name} saved.")
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
