"""Forged browser events (RULES R8): a raw websocket frame can call any public event
handler with any arguments, so each handler is invoked here directly, as such a frame
would run it on the server, by a signed-in clerk without the role and by the owner of
another account. Every one is refused and nothing changes in the database."""

import re

import pytest
from sqlmodel import Session, select

from cbportal.models import ApiKey, Subscription, User
from cbportal.services.accounts import auth
from cbportal.services.core import clock as clock_module
from cbportal.state.manage_subscription import ManageSubscriptionState as VendorOrdersState  # all 3 states
from cbportal.state.vendor_permissions import PermissionsState
from cbportal.state.vendor_users import VendorUsersState


def snapshot(world):
    with Session(world["engine"]) as s:
        sub = s.get(Subscription, world["sub_id"])
        clerk = s.get(User, world["clerk_id"])
        roles = sorted(r.value for r in auth.actor_for(s, clerk).roles)
        users = len(s.exec(select(User)).all())
        key = s.get(ApiKey, world["key_id"])
        return (sub.status, sub.next_bill_date, sub.payments_remaining, sub.rebill_price_cents, clerk.active, roles,
                users, key.revoked_at)


def forged_calls(world):
    receipt, clerk_id, key_id = world["receipt"], str(world["clerk_id"]), str(world["key_id"])
    orders = [("open_order", [receipt], {}), ("export_csv", [], {}),
              ("save_extend", [{"periods": "3"}], {"receipt": receipt}),
              ("save_bill_date", [{"date": "2026-02-20"}], {"receipt": receipt}),
              ("reinstate", [], {"receipt": receipt}),
              ("save_product", [{"next_bill_date": ""}], {"receipt": receipt, "chosen_sku": "PRO"}),
              ("open_manage", [], {"receipt": receipt})]
    users = [("add_clerk", [{"name": "Eve", "email": "eve@acme.test", "password": "password-123",
                             "role_manage_users": "on"}], {}),
             ("set_active", [clerk_id, False], {}), ("revoke_key", [key_id], {})]
    dialog = [(PermissionsState, "save_roles", [], {"editing_id": clerk_id, "editing_roles": ["manage_users"]})]
    return [(VendorOrdersState, *c) for c in orders] + [(VendorUsersState, *c) for c in users] + dialog


@pytest.mark.parametrize("who", ["clerk", "stranger", "nobody"])
def test_r8_every_handler_refuses_a_forged_event(world, who):
    before = snapshot(world)
    for state_class, handler, args, forged_vars in forged_calls(world):
        if who == "stranger" and handler == "add_clerk":
            continue  # adding a clerk to their own account is the stranger's right
        state = state_class(_reflex_internal_init=True)
        state.token = world["tokens"][who]
        for name, value in forged_vars.items():
            setattr(state, name, value)
        result = getattr(state_class, handler).fn(state, *args)
        if handler not in ("open_order", "export_csv"):  # these two show the stranger only their own (empty) data
            assert state.error or getattr(state, "modal_error", ""), f"{handler} by {who} was not refused"
        assert world["receipt"] not in str(result), f"{handler} by {who} leaked the order"
        assert getattr(state, "bills", []) == [] and getattr(state, "rows", []) == []
        assert snapshot(world) == before, f"{state_class.__name__}.{handler} by {who} changed the database"
    with Session(world["engine"]) as s:
        assert auth.actor_for_api_key(s, raw=world["owner_key"]).is_owner


def test_the_same_handler_works_for_the_owner(world):
    """The control: the owner's identical event changes the subscription, so the test above can fail."""
    state = VendorOrdersState(_reflex_internal_init=True)
    state.token, state.receipt = world["tokens"]["owner"], world["receipt"]
    VendorOrdersState.save_extend.fn(state, {"periods": "3"})
    assert state.modal_error == "" and "Extended by 3" in state.modal_notice
    assert snapshot(world)[2] == 14


@pytest.mark.parametrize("who", ["stranger", "nobody"])
def test_r8_dashboard_filters_never_show_another_accounts_tickets(world, who):
    """Forged switcher and filter events on the live dashboard: the other account's owner
    picking "acme", and a frame with no session, see no acme ticket."""
    from cbportal.models import Opener, Order
    from cbportal.services.tickets import lifecycle as tickets
    from cbportal.state.vendor import VendorHomeState

    with Session(world["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == world["receipt"])).one()
        tickets.open_ticket(s, now=clock_module.get_clock().now(), order=order, type="refund",
                            who=tickets.CUSTOMER, opener=Opener.CUSTOMER)
        s.commit()
    calls = [("pick_account", ["acme"]), ("pick_type", ["refund"]), ("pick_opener", ["customer"]),
             ("pick_due", ["72"]), ("search_tickets", [{"search": world["receipt"]}]), ("load", [])]
    for handler, args in calls:
        state = VendorHomeState(_reflex_internal_init=True)
        state.token = world["tokens"][who]
        result = getattr(VendorHomeState, handler).fn(state, *args)
        assert state.rows == [] and state.total == 0, f"{handler} by {who} showed tickets"
        shown = re.sub(r"replaceState\([^)]*\)", "", str(result))  # the URL echoes the caller's own query
        assert world["receipt"] not in shown + str(state.accounts)
        if who == "nobody":
            assert "/login" in str(result)


def test_dashboard_shows_the_owner_their_tickets(world):
    """The control for the test above: the owner's identical events do show the ticket."""
    from cbportal.models import Opener, Order
    from cbportal.services.tickets import lifecycle as tickets
    from cbportal.state.vendor import VendorHomeState

    with Session(world["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == world["receipt"])).one()
        tickets.open_ticket(s, now=clock_module.get_clock().now(), order=order, type="refund",
                            who=tickets.CUSTOMER, opener=Opener.CUSTOMER)
        s.commit()
    state = VendorHomeState(_reflex_internal_init=True)
    state.token = world["tokens"]["owner"]
    VendorHomeState.pick_account.fn(state, "acme")
    assert [r["receipt"] for r in state.rows] == [world["receipt"]] and state.error == ""
    VendorHomeState.pick_account.fn(state, "other")
    assert state.error == "No account 'other' among yours." and state.account == "acme"
    assert [a["nickname"] for a in state.accounts] == ["acme"]


@pytest.mark.parametrize("who", ["owner", "clerk", "nobody"])
def test_r8_staff_handlers_refuse_vendors(world, who):
    """Forged frames for the staff desk (flag, admin frequencies, phone ticket) by vendor users."""
    from cbportal.models import Ticket, VendorAccount
    from cbportal.state.staff import StaffHomeState, StaffPhoneState

    def staff_snapshot():
        with Session(world["engine"]) as s:
            acme = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
            return acme.abuse_flagged, acme.admin_frequencies, len(s.exec(select(Ticket)).all())

    before = staff_snapshot()
    calls = [(StaffHomeState, "set_flag", ["acme", True]), (StaffHomeState, "set_admin_frequencies", ["acme", True]),
             (StaffPhoneState, "open_ticket", [{"receipt": world["receipt"], "email": "buyer@example.test"}])]
    for state_class, handler, args in calls:
        state = state_class(_reflex_internal_init=True)
        state.token = world["tokens"][who]
        result = getattr(state_class, handler).fn(state, *args)
        assert "/login" in str(result), f"{handler} by {who} was not sent to the login page"
        assert staff_snapshot() == before, f"{handler} by {who} changed the database"


def test_dashboard_due_within_any_number_of_hours(world):
    """Presets or a typed number of hours; a bad number is refused with a sentence and changes nothing."""
    from cbportal.state.vendor import VendorHomeState

    state = VendorHomeState(_reflex_internal_init=True)
    state.token = world["tokens"]["owner"]
    VendorHomeState.pick_due.fn(state, "5")
    assert (state.due_filter, state.error) == ("5", "")
    VendorHomeState.pick_due.fn(state, "99999")
    assert state.due_filter == "5" and state.error == "Due within is 0 to 8760 hours."
    VendorHomeState.pick_due.fn(state, "-3")
    assert state.due_filter == "5" and state.error == "Due within takes a whole number of hours."
    VendorHomeState.pick_due.fn(state, "")
    assert (state.due_filter, state.error) == ("", "")
