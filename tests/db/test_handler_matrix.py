"""The role x action matrix over every Reflex event handler (R8, issue 5).

A raw websocket frame can call any public event handler with any arguments. Here every
handler of every state class in `cbportal.state` is called directly, the way such a
frame would run on the server, by three users who must not touch acme's data: no session
at all, an acme clerk holding no role, and the owner of another account. After each call
nothing of acme changed in the database and nothing of acme (its order's receipt, its
customer's email, its ticket's words) reached the state or the handler's result.

The matrix must list every handler: a new handler without an entry fails
`test_the_matrix_lists_every_handler`, so it cannot ship untested."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import reflex as rx
from sqlmodel import Session, select

import cbportal.state
from cbportal.models import User
from cbportal.services.accounts import auth
from cbportal.services.core import clock as clock_module
from tests.utils.handlers import ALWAYS_IGNORED, call, fingerprint
from tests.utils.roles import SECRET_WORDS

# Handlers that act on the caller's own data: another account's owner may add a clerk to
# their own account or a key for themselves; acme's rows must stay as they were.
OWN_DATA_TABLES = {"app_user", "user_role", "api_key", "audit_log"}


def state_classes() -> list[type[rx.State]]:
    for info in pkgutil.iter_modules(cbportal.state.__path__):
        importlib.import_module(f"cbportal.state.{info.name}")

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)
    # a mixin (live_feed.LivePage) is never a state of its own: its vars are checked on the pages using it
    return sorted({c for c in below(rx.State) if c.__module__.startswith("cbportal.") and not c._mixin},
                  key=lambda c: c.__name__)


def own_handlers(cls) -> set[str]:
    return {name for name in cls.event_handlers if name in cls.__dict__ and name != "setvar"}


def matrix(w) -> dict[tuple[str, str], tuple[list, dict, str]]:
    """(state, handler) -> (arguments, state the page would be in, kind). Kinds: "vendor" and
    "staff" refuse all three callers; "own" may change the caller's own users and keys;
    "customer" is reached by receipt + email or a signed link, here forged."""
    r, t, c, k = w["receipt"], w["ticket_id"], str(w["clerk_id"]), str(w["key_id"])
    form = {"receipt": r, "email": "buyer@example.test", "reason": "other", "comment": "x", "consent": "on"}
    v = "vendor"
    return {
        ("SessionState", "load_user"): ([], {}, v),
        ("LoginState", "submit"): ([{"email": "owner@acme.test", "password": "not-the-password"}], {}, v),
        ("ReportsState", "load"): ([], {}, v), ("ReportsState", "pick_account"): (["acme"], {}, v),
        ("ReportsState", "download_csv"): ([], {"account": "acme"}, v),
        ("AffiliateState", "load_referred"): ([], {}, v),
        ("VendorEmailsState", "load"): ([], {}, v), ("VendorEmailsState", "download_pdf"): ([], {}, v),
        ("SettingsState", "load"): ([], {}, v), ("SettingsState", "pick_account"): (["acme"], {}, v),
        ("SettingsState", "save"): ([{"time_zone": "UTC", "reminder_days": "9", "ins_url": "http://x.test/ins",
                                      "ins_secret": "s"}], {"account": "acme"}, v),
        ("SettingsState", "send_test"): ([], {"account": "acme"}, v),
        ("SettingsState", "refresh_log"): ([], {"account": "acme"}, v),
        ("SettingsState", "pick_country"): (["US"], {"account": "acme"}, v),
        ("SettingsState", "pick_region"): (["NY"], {"account": "acme"}, v),
        ("SettingsState", "save_calendar"): ([{"closed_dates": "2026-12-24 Eve"}],
                                             {"account": "acme", "holiday_country": "US"}, v),
        ("StaffHomeState", "load"): ([], {}, "staff"),
        ("StaffProductsState", "load"): ([], {}, "staff"), ("StaffProductsState", "approve"): (["PRO"], {}, "staff"),
        ("StaffProductsState", "reject"): ([{"sku": "PRO", "reason": "Misleading terms"}], {}, "staff"),
        ("StaffRefundsState", "load"): ([], {}, "staff"), ("StaffRefundsState", "retry"): ([1], {}, "staff"),
        ("StaffRefundsState", "mark_refunded"): ([{"attempt_id": "1", "reason": "Sent by bank transfer"}], {}, "staff"),
        ("StaffHomeState", "review"): ([t, "refund", True], {}, "staff"),
        ("StaffHomeState", "set_flag"): (["acme", True], {}, "staff"),
        ("StaffHomeState", "set_admin_frequencies"): (["acme", True], {}, "staff"),
        ("StaffPhoneState", "load"): ([], {}, "staff"), ("StaffPhoneState", "choose_type"): (["cancel"], {}, "staff"),
        ("StaffPhoneState", "open_ticket"): ([form], {}, "staff"),
        ("StaffEmailsState", "load"): ([], {}, "staff"),
        ("StaffTestState", "load"): ([], {}, "staff"), ("StaffTestState", "advance"): ([], {}, "staff"),
        ("VendorHomeState", "load"): ([], {}, v), ("VendorHomeState", "pick_account"): (["acme"], {}, v),
        ("VendorHomeState", "pick_type"): (["refund"], {}, v),
        ("VendorHomeState", "pick_opener"): (["customer"], {}, v),
        ("VendorHomeState", "pick_due"): (["72"], {}, v),
        ("VendorHomeState", "due_hours"): ([{"hours": "12"}], {}, v), ("VendorHomeState", "set_mine"): ([True], {}, v),
        ("VendorHomeState", "clear_filters"): ([], {}, v), ("ManageSubscriptionState", "set_tab"): (["date"], {}, v),
        ("VendorHomeState", "search_tickets"): ([{"search": r}], {}, v),
        ("VendorHomeState", "stop_watching"): ([], {}, v), ("VendorHomeState", "show_more"): ([], {}, v),
        ("VendorOrdersState", "load"): ([], {}, v), ("VendorOrdersState", "search"): ([{"receipt": r}], {}, v),
        ("VendorOrdersState", "next_page"): ([], {}, v), ("VendorOrdersState", "previous_page"): ([], {}, v),
        ("VendorOrdersState", "export_csv"): ([], {}, v), ("OrderWindowState", "open_order"): ([r], {}, v),
        ("OrderWindowState", "open_linked"): ([], {}, v),
        ("ManageSubscriptionState", "open_manage"): ([], {"receipt": r}, v),
        ("ManageSubscriptionState", "set_manage_open"): ([True], {"receipt": r}, v),
        ("ManageSubscriptionState", "choose_product"): (["PRO"], {"receipt": r}, v),
        ("ManageSubscriptionState", "set_refund_declined"): ([True], {"receipt": r}, v),
        ("ManageSubscriptionState", "save_product"): ([{"next_bill_date": ""}], {"receipt": r, "chosen_sku": "PRO"}, v),
        ("ManageSubscriptionState", "save_bill_date"): ([{"date": "2026-02-20"}], {"receipt": r}, v),
        ("ManageSubscriptionState", "save_extend"): ([{"periods": "3"}], {"receipt": r}, v),
        ("ManageSubscriptionState", "reinstate"): ([], {"receipt": r}, v),
        ("ManageSubscriptionState", "save_shipping"): ([{"line1": "1 Main St", "city": "X", "postal_code": "1",
                                                   "country": "US"}], {"receipt": r}, v),
        ("VendorProductsState", "load"): ([], {}, v), ("VendorProductsState", "set_recurring"): ([True], {}, v),
        ("VendorProductsState", "set_unit"): (["week"], {}, v),
        ("VendorProductsState", "create"): ([{"account": "acme", "sku": "FORGED1", "title": "Forged", "price": "9.95",
                                              "commission": "50"}], {}, v),
        ("VendorProductsState", "edit_description"): (["PRO"], {}, v),
        ("VendorProductsState", "set_desc_open"): ([True], {}, v),
        ("VendorProductsState", "save_description"): ([{"description": "forged"}], {"desc_sku": "PRO"}, v),
        ("SubscriptionListState", "load_list"): ([], {}, v), ("SubscriptionListState", "clear_list"): ([], {}, v),
        ("SubscriptionListState", "filter_list"): ([{"status": "active", "sku": "PRO"}], {}, v),
        ("SubscriptionListState", "pick_list_account"): (["acme"], {}, v),
        ("SubscriptionListState", "list_page"): ([1], {}, v),
        ("SubscriptionListState", "download_list"): ([], {"sub_filters": {"account": "acme"}}, v),
        ("VendorTicketsState", "load"): ([], {}, v), ("VendorTicketsState", "stop_watching"): ([], {}, v),
        ("VendorTicketsState", "set_filter"): (["all"], {}, v),
        ("VendorTicketsState", "choose_new_type"): (["cancel"], {}, v),
        ("VendorTicketsState", "open_ticket"): ([form], {}, v),
        ("VendorTicketState", "load"): ([], {}, v), ("VendorTicketState", "stop_watching"): ([], {}, v),
        ("VendorTicketState", "reply"): ([{"body": "forged reply"}], {"ticket_id": t}, v),
        ("VendorTicketState", "close"): ([{"consent": "on"}], {"ticket_id": t}, v),
        ("VendorTicketState", "change_type"): ([{"type": "tech_support", "consent": "on"}], {"ticket_id": t}, v),
        ("VendorTicketState", "set_consent"): ([True], {"ticket_id": t}, v),
        ("VendorTicketState", "cancel_own_request"): ([], {"ticket_id": t}, v),
        ("TicketDeskState", "load_desk"): ([], {"ticket_id": t, "found": True}, v),
        ("TicketDeskState", "add_note"): ([{"note": "forged note"}], {"ticket_id": t}, v),
        ("TicketDeskState", "assign"): ([c], {"ticket_id": t}, v),
        ("TicketDeskState", "insert_canned"): (["1"], {"ticket_id": t}, v),
        ("TicketDeskState", "edit_canned"): (["1"], {"ticket_id": t}, v),
        ("TicketDeskState", "set_canned_open"): ([True], {}, v),
        ("TicketDeskState", "save_canned"): ([{"title": "Forged", "body": "forged"}], {"ticket_id": t}, v),
        ("VendorUsersState", "load"): ([], {}, v),
        ("VendorUsersState", "add_clerk"): ([{"name": "Eve", "email": "eve@acme.test", "password": "password-123",
                                             "role_manage_users": "on"}], {}, "own"),
        ("PermissionsState", "edit_roles"): ([c], {}, v),
        ("PermissionsState", "toggle_role"): (["manage_users", True], {}, v),
        ("PermissionsState", "set_editing_open"): ([True], {}, v),
        ("PermissionsState", "save_roles"): ([], {"editing_id": c, "editing_roles": ["manage_users"],
                                                  "editing_api_roles": ["manage_users"]}, v),
        ("PermissionsState", "toggle_api_role"): (["manage_users", True], {}, v),
        ("PermissionsState", "set_editing_active"): ([False], {}, v),
        ("VendorUsersState", "set_active"): ([c, False], {}, v),
        ("VendorUsersState", "create_key"): ([{"key_name": "mine"}], {}, "own"),
        ("VendorUsersState", "revoke_key"): ([k], {}, v),
        ("VendorUsersState", "issue_link_code"): (["acme"], {}, v),
        ("VendorUsersState", "link_account"): ([{"nickname": "acme", "code": "LINK-guess"}], {}, v),
        # customers: a forged link or the wrong email
        ("PortalState", "load"): ([], {}, "customer"),
        ("UpsellState", "load"): ([], {}, "customer"),
        ("UpsellState", "accept"): ([{"sku": "PRO", "understood": "on"}], {"receipt": r}, "customer"),
        ("PortalState", "lookup"): ([{"receipt": r, "email": "attacker@example.test"}], {}, "customer"),
        ("PortalState", "choose_type"): (["refund"], {}, "customer"),
        ("PortalState", "start_over"): ([], {}, "customer"),
        ("PortalState", "open_ticket"): ([{"comment": "x"}], {}, "customer"),
        ("CustomerTicketState", "load"): ([], {}, "customer"),
        **{("CustomerTicketState", h): (a, {"ticket_id": t, "email": "buyer@example.test", "sig": "forged"}, "customer")
           for h, a in (("reply", [{"body": "x"}]), ("close", []), ("change_type", ["tech_support"]),
                        ("escalate", [{"comment": "x"}]), ("set_zone", ["Europe/Berlin"]), ("stop_watching", []))},
        ("ConfirmationState", "load"): ([], {}, "customer"),
        ("MyOrdersState", "load"): ([], {}, "customer"),
        ("InviteState", "load"): ([], {}, "customer"),
        ("InviteState", "accept"): ([{"password": "taken-over-1", "again": "taken-over-1"}], {}, "customer"),
        ("CardState", "load"): ([], {}, "customer"),
        ("CardState", "save"): ([{"card_number": "4242424242424242", "exp_month": "12", "exp_year": "2030",
                                  "cvc": "123"}], {"receipt": r, "email": "buyer@example.test", "sig": "forged"},
                                "customer"),
        ("CardState", "save_with"): ([{"id": "pm_forged"}], {"receipt": r, "email": "buyer@example.test",
                                                            "sig": "forged"}, "customer"),
        ("SessionState", "logout"): ([], {}, v),      # last: it ends the caller's own session
    }


# Not called here, with the reason.
EXEMPT = {
    ("VendorHomeState", "watch"): "background task (live_feed.follow): returns at once unless _actor() finds a "
                                  "signed-in user, and re-checks the user before every refresh (tests/scale, e2e)",
    ("VendorTicketState", "watch"): "the same live_feed.follow as the dashboard",
    ("VendorTicketsState", "watch"): "the same live_feed.follow as the dashboard",
    ("CustomerTicketState", "watch"): "the same live_feed.follow; its _actor() is the signed link, re-checked "
                                      "before every refresh (tests/e2e/test_customer_side.py)",
    ("MyOrdersState", "ask"): "public by design: emails the signed list link only to the address typed, and "
                              "answers the same whether or not it has orders (tests/db/test_customer_side.py)",
    ("CheckoutState", "load"): "public by design: shows an approved product's terms to anyone",
    ("BumpState", "load_bump"): "public by design: shows an approved product's order bump and its terms to anyone",
    ("CheckoutState", "clear_error"): "public by design: hides one of the page's own field messages, no data",
    ("CheckoutState", "set_zone"): "public by design: the buyer's own browser time zone, kept for their own order",
    ("CheckoutState", "choose_pay_type"): "public by design: a radio choice, no data",
    ("CheckoutState", "pay"): "public by design: anyone may buy; it creates their own order (tests/db/test_billing)",
    ("CheckoutState", "choose_country"): "public by design: narrows the payment types offered, no data",
    ("CheckoutState", "pay_with"): "public by design: the browser's token for the buyer's own order, like POST /orders",
}


def test_the_matrix_lists_every_handler(mw):
    listed = set(matrix(mw)) | set(EXEMPT)
    handlers = {(cls.__name__, name) for cls in state_classes() for name in own_handlers(cls)}
    assert handlers - listed == set(), "handlers missing from the matrix"
    assert listed - handlers == set(), "the matrix lists handlers that do not exist"


def test_setvar_reaches_only_listed_handlers(mw):
    """Reflex's built-in `setvar(name, value)` calls `set_<name>`; with auto setters off that
    is only ever one of our own handlers, each of them in the matrix."""
    listed = set(matrix(mw))
    for cls in state_classes():
        for name in cls.base_vars:
            setter = f"set_{name}"
            if hasattr(cls, setter):
                assert (cls.__name__, setter) in listed, f"{cls.__name__}.setvar('{name}') reaches {setter}"


@pytest.mark.parametrize("who", ["nobody", "bare", "stranger"])
def test_r8_every_handler_refuses_whoever_may_not_touch_acme(mw, who):
    classes = {cls.__name__: cls for cls in state_classes()}
    for (name, handler), (args, preset, kind) in matrix(mw).items():
        # acme's data; what the caller typed (a receipt, an email) may be echoed back to them
        secrets = [x for x in (mw["receipt"], "buyer@example.test", SECRET_WORDS)
                   if x not in str(args) + str(preset)]
        if kind == "customer" and who != "nobody":
            continue                                    # customers have no session: one run is enough
        skip = ALWAYS_IGNORED | (OWN_DATA_TABLES if kind == "own" and who != "nobody" else set())
        before = fingerprint(mw["engine"], skip)
        shown = call(classes[name], handler, args, preset, mw["tokens"][who])
        for secret in secrets:
            assert secret not in shown, f"{name}.{handler} by {who} showed {secret!r}"
        after = fingerprint(mw["engine"], skip)
        changed = sorted(t for t in before if before[t] != after[t])
        assert changed == [], f"{name}.{handler} by {who} changed {changed}"
        if who != "nobody" and handler != "logout":     # the caller is still signed in for the next call
            with Session(mw["engine"]) as s:
                assert auth.actor_for_session(s, now=clock_module.get_clock().now(), token=mw["tokens"][who])
    with Session(mw["engine"]) as s:                   # acme's users are as they were
        assert sorted(u.email for u in s.exec(select(User).where(User.master_account_id == 1))) == sorted(
            ["owner@acme.test", "tickets@acme.test", "bare@acme.test"])


def test_the_owner_sees_what_the_others_may_not(mw):
    """The control: the same calls by acme's owner do show acme's data, so the test can fail."""
    classes = {cls.__name__: cls for cls in state_classes()}
    m = matrix(mw)
    shown = "".join(call(classes[n], h, *m[(n, h)][:2], mw["tokens"]["owner"]) for n, h in (
        ("VendorHomeState", "search_tickets"), ("OrderWindowState", "open_order"), ("VendorTicketState", "load")))
    assert mw["receipt"] in shown and "buyer@example.test" in shown
