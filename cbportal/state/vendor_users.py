"""Vendor users: the Users page (its users, adding clerks, linking vendor accounts) and each
user's own API keys (RULES R8); its Manage Permissions dialog is vendor_permissions.py.
Thin: the services check Manage Users and the account on every call."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.models import Role
from cbportal.services.accounts import accounts, invitations, linking, users
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.settings import get_settings
from cbportal.state.base import PageState
from cbportal.state.session import sentence
from cbportal.state.user_rows import ROLE_LABELS, KeyRow, UserRow, key_row, user_row


class VendorUsersState(PageState):
    rows: list[UserRow] = []
    keys: list[KeyRow] = []
    can_manage_users: bool = False
    loaded: bool = False
    notice: str = ""
    new_key: str = ""
    add_key: int = 0        # bumped after a clerk is added: the form starts empty; a refused one keeps its values
    is_owner: bool = False
    linked: list[str] = []
    link_code: str = ""
    link_code_for: str = ""

    def _refresh(self, actor) -> None:
        with reader(get_engine()) as session:
            mine = accounts.accounts_of(session, actor) if not actor.is_staff else []
            zone = mine[0].time_zone if mine else "UTC"          # the account's zone, named (timefmt)
            self.keys = [key_row(k, zone) for k in users.keys_of(session, actor=actor)]
            self.can_manage_users = actor.has(Role.MANAGE_USERS) and actor.master_account_id is not None
            self.is_owner = actor.is_owner and not actor.is_staff
            self.linked = [a.nickname for a in accounts.accounts_of(session, actor)] if self.is_owner else []
            self.rows = [user_row(u) for u in users.list_users(session, actor=actor)] if self.can_manage_users else []

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
