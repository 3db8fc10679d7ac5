"""The Manage Permissions dialog of the Users page: the user being edited, their roles and
API integration roles as ticked, enabled or not, saved in one call. A substate of the
Users page (vendor_users.py): it reads the page's rows and saves through the page's `_do`,
so the services check Manage Users and the account (RULES R8)."""

from __future__ import annotations

import reflex as rx

from cbportal.services.accounts import users
from cbportal.services.core.clock import get_clock
from cbportal.state.user_rows import ROLE_LABELS, with_role
from cbportal.state.vendor_users import VendorUsersState


class PermissionsState(VendorUsersState):
    editing_id: str = ""
    editing_name: str = ""
    editing_roles: list[str] = []
    editing_api_roles: list[str] = []
    editing_active: bool = True
    editing_email: str = ""
    editing_keys: str = ""
    editing_open: bool = False

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
        self.editing_roles = with_role(self.editing_roles, role, on)
        if not on:                              # a key never carries a role its user lacks (R8)
            self.editing_api_roles = [r for r in self.editing_api_roles if r != role]

    @rx.event
    def toggle_api_role(self, role: str, on: bool):
        if role not in ROLE_LABELS or (on and role not in self.editing_roles):
            return
        self.editing_api_roles = with_role(self.editing_api_roles, role, on)

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
