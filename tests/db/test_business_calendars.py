"""A vendor's business calendar (RULES R2) through the services on SQLite and PostgreSQL:
the owner picks a holiday calendar and closed dates; new ticket timers (R3) skip them in
the vendor's zone and their explanation names the holiday."""

import pendulum
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from cbportal.models import ClosedDate, Opener
from cbportal.services.accounts import business_calendars
from cbportal.services.core.calendar import BusinessCalendar
from cbportal.services.core.errors import Forbidden, Invalid
from cbportal.services.tickets import lifecycle as tickets
from tests import factories


def local(instant, tz):
    return pendulum.instance(instant).in_timezone(tz).format("ddd YYYY-MM-DD HH:mm")


def setup(session, engine, clock, now, tz, nickname):
    clock.set(now)
    acct, owner = factories.account(session, now, nickname=nickname, tz=tz)
    prod = factories.product(session, now, owner, acct)
    order = factories.order(session, engine, clock, prod, acct, paid_at=now)
    return acct, owner, order


def test_r2_r3_thanksgiving_in_new_york(session, engine, clock):
    tz = "America/New_York"
    wed = pendulum.datetime(2026, 11, 25, 10, tz=tz).in_timezone("UTC")
    acct, owner, order = setup(session, engine, clock, wed, tz, "acme")
    business_calendars.set_calendar(session, now=wed, actor=owner, nickname="acme", country="US")
    session.commit()
    assert business_calendars.for_account(session, acct) == BusinessCalendar(tz=tz, country="US")
    ticket = tickets.open_ticket(session, now=wed, order=order, type="refund", who=tickets.CUSTOMER,
                                 opener=Opener.CUSTOMER)
    session.commit()
    assert local(ticket.process_at, tz) == "Fri 2026-11-27 10:00"
    assert tickets.ticket_view(session, ticket)["process_why"] == \
        "24 business hours; weekend hours do not count; paused for Thanksgiving Day (Thu Nov 26)"


def test_r2_r3_pentecost_monday_and_own_closed_date_in_berlin(session, engine, clock):
    tz = "Europe/Berlin"
    fri = pendulum.datetime(2026, 5, 22, 14, tz=tz).in_timezone("UTC")
    acct, owner, order = setup(session, engine, clock, fri, tz, "globex")
    business_calendars.set_calendar(session, now=fri, actor=owner, nickname="globex", country="DE",
                                    closed=business_calendars.parse_closed_lines("2026-05-26 Team day\n"))
    session.commit()
    ticket = tickets.open_ticket(session, now=fri, order=order, type="cancel", who=tickets.CUSTOMER,
                                 opener=Opener.CUSTOMER)
    session.commit()
    # Fri 14:00 -> 10 h Friday, weekend, Pentecost Monday, Team day Tuesday -> Wed 14:00.
    assert local(ticket.process_at, tz) == "Wed 2026-05-27 14:00"
    assert tickets.ticket_view(session, ticket)["process_why"].endswith(
        "paused for Pentecost Monday (Mon May 25), Team day (Tue May 26)")


def test_r2_only_the_owner_sets_the_calendar_and_values_are_checked(session, engine, clock):
    now = pendulum.datetime(2026, 1, 7, 12, tz="UTC")
    acct, owner, _ = setup(session, engine, clock, now, "UTC", "acme")
    clerk = factories.clerk(session, now, acct)
    with pytest.raises(Forbidden):
        business_calendars.set_calendar(session, now=now, actor=clerk, nickname="acme", country="US")
    for kw, code in (({"country": "ZZ"}, "invalid_holiday_country"),
                     ({"country": "DE", "region": "NY"}, "invalid_holiday_region"),
                     ({"closed": ["2026-02-30"]}, "invalid_closed_date"),
                     ({"closed": [f"2026-{m:02}-{d:02}" for m in range(1, 6) for d in range(1, 22)]},
                      "too_many_closed_dates")):
        with pytest.raises(Invalid) as bad:
            business_calendars.set_calendar(session, now=now, actor=owner, nickname="acme", **kw)
        assert bad.value.code == code
    with pytest.raises(Invalid) as bad:
        business_calendars.parse_closed_lines("2026-12-24 Eve\n2026-12-24 again")
    assert bad.value.code == "duplicate_closed_date"
    business_calendars.set_calendar(session, now=now, actor=owner, nickname="acme", country="de", region="by")
    assert (acct.holiday_country, acct.holiday_region) == ("DE", "BY")
    business_calendars.set_calendar(session, now=now, actor=owner, nickname="acme", country="AT")
    assert (acct.holiday_country, acct.holiday_region) == ("AT", None)   # a new country clears the region


def test_r2_one_closed_date_per_day_is_enforced_by_the_database(session, engine, clock):
    now = pendulum.datetime(2026, 1, 7, 12, tz="UTC")
    acct, owner, _ = setup(session, engine, clock, now, "UTC", "acme")
    business_calendars.set_calendar(session, now=now, actor=owner, nickname="acme", closed=["2026-12-24"])
    session.commit()
    session.add(ClosedDate(account_id=acct.id, day=pendulum.date(2026, 12, 24), label="again"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert [c.label for c in session.exec(select(ClosedDate))] == [""]
