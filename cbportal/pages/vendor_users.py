"""Vendor users: the account's users with Manage Permissions, adding clerks, and your API keys."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.forms import field
from cbportal.components.layout import page
from cbportal.state.user_rows import ROLE_LABELS, SWITCH_ROLES, TABLE_ROLES, KeyRow, UserRow
from cbportal.state.vendor_permissions import PermissionsState as P
from cbportal.state.vendor_users import VendorUsersState
from cbportal.state.vendor_users import VendorUsersState as S


def user_row(u: UserRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(u["name"]), rx.table.cell(u["email"]),
        rx.table.cell(rx.cond(u["owner"], rx.badge("Owner: every role"), rx.text(u["roles"], size="2"))),
        rx.table.cell(rx.badge(u["status"], color_scheme=rx.match(u["status"], ("invited", "amber"),
                                                                 ("deactivated", "gray"), "green"))),
        rx.table.cell(rx.cond(u["owner"], rx.fragment(), rx.hstack(
            rx.button("Manage permissions", size="1", variant="soft", on_click=P.edit_roles(u["id"]),
                      aria_label="Manage permissions of " + u["name"]),
            rx.cond(u["status"] == "active",
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(rx.button("Deactivate", size="1", variant="soft", color_scheme="red")),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("Deactivate ", u["name"], "?"),
                            rx.alert_dialog.description("Their sessions and API keys stop working at once."),
                            rx.hstack(rx.alert_dialog.cancel(rx.button("Cancel", variant="soft")),
                                      rx.alert_dialog.action(rx.button("Deactivate", color_scheme="red",
                                                                       on_click=S.set_active(u["id"], False))),
                                      justify="end"))),
                    rx.button("Reactivate", size="1", variant="soft", on_click=S.set_active(u["id"], True)))))))


def role_table(title: str, labels: dict, checked, on_change, enabled=None) -> rx.Component:
    return rx.table.root(rx.table.header(rx.table.row(rx.table.column_header_cell(title),
                                                      rx.table.column_header_cell("Granted"))),
                         rx.table.body(*[rx.table.row(
                             rx.table.cell(label),
                             rx.table.cell(rx.checkbox(checked=checked.contains(role),
                                                       on_change=lambda on, r=role: on_change(r, on),
                                                       disabled=~enabled.contains(role)
                                                                if enabled is not None else False,
                                                       aria_label=f"{title}: {label}")))
                             for role, label in labels.items()]), width="100%", size="1")


def permissions_dialog() -> rx.Component:
    """The seed's permissions page: enabled, may manage users, report access and the user's API
    keys on top; the roles in the middle; the API integration roles (what the keys carry) below."""
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title("Permissions of ", P.editing_name),
        rx.dialog.description(P.editing_email, " · API keys: ", P.editing_keys, size="2"),
        rx.vstack(
            rx.el.label(rx.hstack(rx.switch(checked=P.editing_active, on_change=P.set_editing_active),
                                  rx.text("Enabled"))),
            rx.cond(~P.editing_active, rx.text("Saving ends their sessions and API keys at once.", size="2",
                                               color_scheme="red")),
            *[rx.el.label(rx.hstack(rx.switch(checked=P.editing_roles.contains(role),
                                              on_change=lambda on, r=role: P.toggle_role(r, on)), rx.text(label)))
              for role, label in SWITCH_ROLES.items()],
            rx.text("Report access opens the Reports page and the Subscriptions list.", size="1", color_scheme="gray"),
            role_table("Role", TABLE_ROLES, P.editing_roles, P.toggle_role),
            rx.text("Subscription Management needs Manage Tickets and Manage Orders too.", size="1",
                    color_scheme="gray"),
            role_table("API integration role", ROLE_LABELS, P.editing_api_roles, P.toggle_api_role,
                       enabled=P.editing_roles),
            rx.text("The user's API keys carry only these roles, and never one the user does not hold.", size="1",
                    color_scheme="gray"),
            spacing="2", padding_y="1em", width="100%"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.hstack(rx.dialog.close(rx.button("Cancel", variant="soft")), rx.button("Save permissions",
                                                                                 on_click=P.save_roles),
                  justify="end")), open=P.editing_open, on_open_change=P.set_editing_open)


def add_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("Add a clerk", size="4"),
        rx.hstack(field("Name", "name"), field("Email", "email"),
                  field("Password (8+ characters; empty: email an invitation)", "password", type="password"),
                  width="100%"),
        rx.hstack(*[rx.el.label(rx.hstack(rx.checkbox(name="role_" + role), rx.text(label, size="2")))
                    for role, label in ROLE_LABELS.items()], wrap="wrap"),
        rx.button("Add clerk", type="submit"), spacing="3", width="100%"),
        on_submit=S.add_clerk, reset_on_submit=False, key=S.add_key.to_string()), width="100%")


def key_row(k: KeyRow) -> rx.Component:
    return rx.table.row(rx.table.cell(k["name"]), rx.table.cell(rx.code(k["prefix"])), rx.table.cell(k["created"]),
                        rx.table.cell(rx.cond(k["revoked"], rx.badge("revoked", color_scheme="gray"),
                                              rx.alert_dialog.root(
                                                  rx.alert_dialog.trigger(rx.button(
                                                      "Revoke", size="1", variant="soft", color_scheme="red")),
                                                  rx.alert_dialog.content(
                                                      rx.alert_dialog.title("Revoke key ", k["name"], "?"),
                                                      rx.alert_dialog.description(
                                                          "Systems using it get 401 from now on."),
                                                      rx.hstack(rx.alert_dialog.cancel(rx.button("Cancel",
                                                                                                 variant="soft")),
                                                                rx.alert_dialog.action(rx.button(
                                                                    "Revoke", color_scheme="red",
                                                                    on_click=S.revoke_key(k["id"]))),
                                                                justify="end"))))))


def keys_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.el.a(id="keys"),
        rx.heading("Your API keys", size="4"),
        rx.text("A key acts as you, with your roles, over the REST API (/api/v1).", size="2", color_scheme="gray"),
        rx.form(rx.hstack(field("Key name", "key_name", placeholder="helpdesk"), rx.button("Create key", type="submit"),
                          align="end"), on_submit=S.create_key, reset_on_submit=True),
        rx.cond(S.new_key != "", rx.callout(rx.vstack(rx.text("New key (shown only once):"), rx.code(S.new_key)),
                                            color_scheme="amber", role="status")),
        rx.cond(S.keys.length() > 0,
                rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Name", "Key", "Created", "")])), rx.table.body(rx.foreach(S.keys, key_row)), width="100%"),
                rx.text("No keys yet.", color_scheme="gray")),
        spacing="3", width="100%"), width="100%")


def linked_row(nickname) -> rx.Component:
    return rx.table.row(rx.table.cell(nickname), rx.table.cell(rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Get a link code", size="1", variant="soft")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("A link code for " + nickname),
            rx.alert_dialog.description(
                "Whoever has this code can move ", nickname, " into their master account within 24 hours; "
                "the users of this master account then stop seeing it. A new code replaces the previous one."),
            rx.hstack(rx.alert_dialog.cancel(rx.button("Cancel", variant="soft")),
                      rx.alert_dialog.action(rx.button("Create the code", on_click=S.issue_link_code(nickname))),
                      spacing="3", justify="end", margin_top="1em")))), data_testid="linked-row")


def linking_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("Linked vendor accounts", size="4"),
        rx.text("Every account linked to your master account shares its users, dashboard and reports.", size="2",
                color_scheme="gray"),
        rx.table.root(rx.table.body(rx.foreach(S.linked, linked_row)), width="100%"),
        rx.cond(S.link_code != "", rx.callout(rx.vstack(
            rx.text("Link code for ", S.link_code_for, " (shown only once, valid 24 hours):"),
            rx.code(S.link_code, data_testid="link-code")), color_scheme="amber")),
        rx.form(rx.hstack(
            field("Nickname of the account to link", "nickname", placeholder="nickname"),
            field("Its link code", "code", placeholder="LINK-…"),
            rx.button("Link account", type="submit"), align="end", wrap="wrap", spacing="3"),
            on_submit=S.link_account, reset_on_submit=True),
        spacing="3", width="100%"), width="100%")


@registered.page(routes.VENDOR_USERS, "Users", VendorUsersState.load, nav=("Users", "API keys#keys"))
def vendor_users() -> rx.Component:
    return page(
        rx.heading("Users and API keys", size="7"),
        rx.cond(S.notice != "", rx.callout(S.notice, color_scheme="green", role="status")),
        rx.cond((S.error != "") & ~P.editing_open, rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.loaded, rx.fragment(
            rx.cond(S.can_manage_users, rx.vstack(
                rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Name", "Email", "Roles", "Status", "")])), rx.table.body(rx.foreach(S.rows, user_row)),
                    width="100%"),
                add_form(), width="100%", spacing="4")),
            rx.cond(S.is_owner, linking_card()),
            keys_card()), rx.hstack(rx.spinner(), rx.text("Loading…"))),
        permissions_dialog(),
    )
