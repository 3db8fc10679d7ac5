"""The page states behind the new controls, called the way a browser event runs them:
the owner saves a holiday calendar on the settings page (R2), and staff advance the test
clock to the next event on the staff test page (R2 test clock)."""

from types import SimpleNamespace

from sqlmodel import Session, select

from cbportal.models import ClosedDate, Opener, Order, User, VendorAccount
from cbportal.services.accounts import auth
from cbportal.services.tickets import lifecycle as tickets
from cbportal.state import staff_test
from cbportal.state.settings import SettingsState
from cbportal.state.staff_test import StaffTestState
from tests import factories
from tests.utils.handlers import call


def test_r2_owner_saves_a_holiday_calendar_on_the_settings_page(world):
    token = world["tokens"]["owner"]
    state = SettingsState(_reflex_internal_init=True)
    state.token = token
    SettingsState.load.fn(state)
    assert state.holiday_country == "none" and {"value": "DE", "label": "Germany (DE)"} in state.countries
    SettingsState.pick_country.fn(state, "DE")
    assert {"value": "BY", "label": "Bayern (BY)"} in state.regions
    SettingsState.pick_region.fn(state, "BY")
    SettingsState.save_calendar.fn(state, {"closed_dates": "2026-12-24 Christmas Eve\n\n2026-12-31"})
    assert (state.error, state.notice) == ("", "Calendar saved.")
    assert (state.holiday_country, state.holiday_region) == ("DE", "BY")
    assert state.closed_text == "2026-12-24 Christmas Eve\n2026-12-31"
    with Session(world["engine"]) as s:
        acme = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
        assert (acme.holiday_country, acme.holiday_region) == ("DE", "BY")
        assert [(c.day.isoformat(), c.label) for c in s.exec(select(ClosedDate))] == [
            ("2026-12-24", "Christmas Eve"), ("2026-12-31", "")]
    SettingsState.save_calendar.fn(state, {"closed_dates": "24.12.2026"})
    assert state.error == "'24.12.2026' is not a date like 2026-12-24."
    clerk = call(SettingsState, "save_calendar", [{"closed_dates": ""}], {"account": "acme", "holiday_country": "US"},
                 world["tokens"]["clerk"])
    assert "Only the account owner may change settings." in clerk
    with Session(world["engine"]) as s:
        assert len(s.exec(select(ClosedDate)).all()) == 2 and s.exec(select(VendorAccount.holiday_country).where(
            VendorAccount.nickname == "acme")).one() == "DE"


def test_r2_staff_advance_the_test_clock_from_the_test_page(world, monkeypatch):
    monkeypatch.setattr(staff_test, "get_settings", lambda: SimpleNamespace(test_mode=True))
    with Session(world["engine"]) as s:
        staff = factories.staff(s, factories_now(world))
        user = s.get(User, staff.user_id)
        user.password_hash = auth.hash_password("password-123")
        s.add(user)
        s.flush()
        token = auth.login(s, now=factories_now(world), email=user.email, password="password-123")
        order = s.exec(select(Order).where(Order.receipt == world["receipt"])).one()
        tickets.open_ticket(s, now=factories_now(world), order=order, type="refund", who=tickets.CUSTOMER,
                            opener=Opener.CUSTOMER)
        s.commit()
    state = StaffTestState(_reflex_internal_init=True)
    state.token = token
    StaffTestState.load.fn(state)
    assert (state.test_mode, state.clock_now) == (True, "Mon 2026-01-05 00:00 UTC")
    StaffTestState.advance.fn(state)                     # the ticket_opened emails, due now
    assert state.summary.endswith("Due then: 2 emails. Ran: email 2 (2 in all).")
    StaffTestState.advance.fn(state)                     # the refund ticket, 24 business hours later
    assert "Due then: 1 refund ticket. Ran: tickets 1, email " in state.summary
    assert {row["kind"]: row["count"] for row in state.ran}["tickets"] == 1
    assert state.clock_now == state.summary.split("Moved the clock to ")[1].split(". Due")[0]
    # a vendor is sent to the login page and nothing moves
    before = state.clock_now
    vendor = StaffTestState(_reflex_internal_init=True)
    vendor.token = world["tokens"]["owner"]
    assert StaffTestState.advance.fn(vendor) is not None and vendor.summary == ""
    StaffTestState.load.fn(state)
    assert state.clock_now == before


def factories_now(world):
    from cbportal.services.core.clock import get_clock

    return get_clock().now()
