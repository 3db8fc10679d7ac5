"""R2 holiday calendars: a vendor's country (and region) holidays from the `holidays`
package and its own closed dates count like Saturday and Sunday, in its zone, for
business hours and for deferrals; exact cases, DST weeks, and properties."""

from datetime import UTC, date, datetime, timedelta

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbportal.services.core import calendar as cal
from cbportal.services.core.calendar import BusinessCalendar
from cbportal.services.tickets.timers import inactivity_step, process_at

NY_US = BusinessCalendar(tz="America/New_York", country="US")
BERLIN_BY = BusinessCalendar(tz="Europe/Berlin", country="DE", region="BY")


def at(tz, y, m, d, h=0, mi=0):
    return pendulum.datetime(y, m, d, h, mi, tz=tz).in_timezone("UTC")


def local_str(instant, tz):
    return pendulum.instance(instant).in_timezone(tz).format("ddd YYYY-MM-DD HH:mm")


def test_r2_thanksgiving_pauses_24_business_hours_in_new_york():
    # Wed Nov 25 2026 10:00 + 24 bh: Thu Nov 26 is Thanksgiving -> Fri Nov 27 10:00.
    tz = NY_US.tz
    assert local_str(cal.add_business_hours(at(tz, 2026, 11, 25, 10), 24, NY_US), tz) == "Fri 2026-11-27 10:00"
    assert local_str(cal.add_business_hours(at(tz, 2026, 11, 25, 10), 24, tz), tz) == "Thu 2026-11-26 10:00"
    when, why = process_at(at=at(tz, 2026, 11, 25, 10), by_vendor=False, physical=False, vendor_flagged=False,
                           tz=NY_US, kind="refund")
    assert local_str(when, tz) == "Fri 2026-11-27 10:00"
    assert why == "24 business hours; weekend hours do not count; paused for Thanksgiving Day (Thu Nov 26)"


def test_r2_holiday_judged_in_the_vendors_zone():
    # Thanksgiving begins at 05:00 UTC in New York; at 04:00 UTC it is still Wednesday 23:00 there.
    assert not cal.is_closed(datetime(2026, 11, 26, 4, tzinfo=UTC), NY_US)
    assert cal.is_closed(datetime(2026, 11, 26, 5, tzinfo=UTC), NY_US)
    # A Tokyo vendor with the US calendar: its Thanksgiving is the Tokyo date.
    tokyo = BusinessCalendar(tz="Asia/Tokyo", country="US")
    assert cal.is_closed(datetime(2026, 11, 25, 15, tzinfo=UTC), tokyo)   # Thu 00:00 Tokyo
    assert not cal.is_closed(datetime(2026, 11, 25, 14, tzinfo=UTC), tokyo)


def test_r2_german_unity_day_and_a_bavarian_holiday_in_berlin_time():
    tz = BERLIN_BY.tz
    # Fri Oct 2 2026 12:00 + 24 bh: Sat Oct 3 (German Unity Day, also a Saturday), Sun -> Mon Oct 5 12:00.
    assert local_str(cal.add_business_hours(at(tz, 2026, 10, 2, 12), 24, BERLIN_BY), tz) == "Mon 2026-10-05 12:00"
    # Epiphany (Tue Jan 6 2026) is a holiday in Bavaria but not in Berlin (region BE).
    mon = at(tz, 2026, 1, 5, 12)
    assert local_str(cal.add_business_hours(mon, 24, BERLIN_BY), tz) == "Wed 2026-01-07 12:00"
    berlin = BusinessCalendar(tz=tz, country="DE", region="BE")
    assert local_str(cal.add_business_hours(mon, 24, berlin), tz) == "Tue 2026-01-06 12:00"
    _, why = process_at(at=mon, by_vendor=False, physical=False, vendor_flagged=False, tz=BERLIN_BY, kind="cancel")
    assert why.endswith("paused for Epiphany (Tue Jan 6)")


def test_r2_easter_across_the_eu_dst_change():
    # Berlin springs forward Sun Mar 29 2026; Good Friday Apr 3, Easter Monday Apr 6.
    tz = BERLIN_BY.tz
    thu = at(tz, 2026, 4, 2, 18)
    end = cal.add_business_hours(thu, 24, BERLIN_BY)
    assert local_str(end, tz) == "Tue 2026-04-07 18:00"
    assert cal.business_hours_between(thu, end, BERLIN_BY) == pytest.approx(24)
    assert [name for _, name in cal.closures_between(thu, end, BERLIN_BY)] == ["Good Friday", "Easter Monday"]


def test_r2_us_fall_back_weekend_with_a_closed_monday():
    # New York falls back Sun Nov 1 2026 (a 25-hour day); the vendor closes Mon Nov 2.
    closed = BusinessCalendar(tz="America/New_York", closed=((date(2026, 11, 2), "Inventory day"),))
    fri = at(closed.tz, 2026, 10, 30, 10)
    assert local_str(cal.add_business_hours(fri, 24, closed), closed.tz) == "Tue 2026-11-03 10:00"
    note = cal.pause_note(fri, cal.add_business_hours(fri, 24, closed), closed)
    assert note == "paused for Inventory day (Mon Nov 2)"


def test_r2_deferrals_skip_holidays_and_the_weekend_after_them():
    tz = NY_US.tz
    # Christmas Fri Dec 25 2026 -> the same local time on Mon Dec 28.
    assert local_str(cal.defer_off_weekend(at(tz, 2026, 12, 25, 9, 30), NY_US), tz) == "Mon 2026-12-28 09:30"
    # A vendor's 5-minute ticket at Thanksgiving eve 23:58 processes Fri 00:03, saying why.
    when, why = process_at(at=at(tz, 2026, 11, 25, 23, 58), by_vendor=True, physical=False, vendor_flagged=False,
                           tz=NY_US, kind="refund")
    assert local_str(when, tz) == "Fri 2026-11-27 00:03"
    assert why == "5 minutes after the vendor's request; paused for Thanksgiving Day (Thu Nov 26)"
    # Physical refund: Mon Jun 15 + 19 d = Sat Jul 4 (Independence Day, Fri Jul 3 observed) -> Mon Jul 6.
    when, why = process_at(at=at(tz, 2026, 6, 15, 8), by_vendor=False, physical=True, vendor_flagged=False,
                           tz=NY_US, kind="refund")
    assert local_str(when, tz) == "Mon 2026-07-06 08:00"
    assert why == "19 days (physical product refund); not on a weekend"
    # Customer-last inactivity close: +144 h lands on Christmas -> Monday.
    step = inactivity_step(last_actor="customer", last_action_at=at(tz, 2026, 12, 19, 9), warnings_sent=2, tz=NY_US)
    assert local_str(step[1], tz) == "Mon 2026-12-28 09:00"


def test_r2_a_missing_local_time_after_a_holiday_resolves_forward():
    # Chile springs forward at 00:00 on Sun Sep 6 2026; the vendor also closes Mon Sep 7, so
    # a deferral of Sat Sep 5 00:30 goes to Tue Sep 8 00:30.
    chile = BusinessCalendar(tz="America/Santiago", closed=((date(2026, 9, 7), ""),))
    assert local_str(cal.defer_off_weekend(at(chile.tz, 2026, 9, 5, 0, 30), chile), chile.tz) == "Tue 2026-09-08 00:30"
    assert chile.closure(date(2026, 9, 7)) == "a closed day"


def test_r2_plain_zone_and_empty_calendar_agree():
    start = at("Europe/Berlin", 2026, 12, 23, 15)
    assert cal.add_business_hours(start, 40, "Europe/Berlin") == \
        cal.add_business_hours(start, 40, BusinessCalendar(tz="Europe/Berlin"))


def test_r2_a_calendar_without_open_days_is_refused():
    shut = BusinessCalendar(closed=tuple((date(2026, 1, 1) + timedelta(days=n), "shut") for n in range(420)))
    with pytest.raises(ValueError):
        cal.add_business_hours(datetime(2026, 1, 1, tzinfo=UTC), 1, shut)


ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Tokyo"]
CALENDARS = [BusinessCalendar(tz="America/New_York", country="US", region="NY"),
             BusinessCalendar(tz="Europe/Berlin", country="DE", region="BY"),
             BusinessCalendar(tz="Australia/Sydney", country="AU", region="NSW"),
             BusinessCalendar(tz="Asia/Tokyo", country="JP"),
             BusinessCalendar(tz="America/New_York", country="US",
                              closed=((date(2026, 3, 9), "Closed"), (date(2026, 11, 2), "Closed")))]
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC))
calendars = st.sampled_from(CALENDARS)


@settings(max_examples=200, deadline=None)
@given(start=instants, hours=st.integers(0, 400), c=calendars)
def test_r2_business_deadline_never_on_a_closed_day(start, hours, c):
    assert not cal.is_closed(cal.add_business_hours(start, hours, c), c)


@settings(max_examples=200, deadline=None)
@given(start=instants, a=st.integers(0, 150), b=st.integers(0, 150), c=calendars)
def test_r2_holiday_hours_add_up(start, a, b, c):
    assert cal.add_business_hours(cal.add_business_hours(start, a, c), b, c) == cal.add_business_hours(start, a + b, c)


@settings(max_examples=200, deadline=None)
@given(start=instants, hours=st.integers(1, 300), c=calendars)
def test_r2_holidays_only_make_deadlines_later(start, hours, c):
    end = cal.add_business_hours(start, hours, c)
    assert end >= cal.add_business_hours(start, hours, c.tz)
    assert cal.business_hours_between(start, end, c) == pytest.approx(hours)


@settings(max_examples=200, deadline=None)
@given(instant=instants, c=calendars)
def test_r2_deferral_keeps_open_instants_and_moves_closed_ones_to_the_same_local_time(instant, c):
    moved = cal.defer_off_weekend(instant, c)
    assert not cal.is_closed(moved, c)
    if not cal.is_closed(instant, c):
        assert moved == instant
    else:
        assert moved > instant
        before, after = cal.local(instant, c), cal.local(moved, c)
        wall = lambda t: t.hour * 60 + t.minute  # noqa: E731
        # the same local time, or later by the DST gap when that time does not exist that day
        assert wall(after) - wall(before) in (0, 60) and after.date() > before.date()
        # every day in between is closed
        day = before.date() + timedelta(days=1)
        while day < after.date():
            assert not c.is_open(day)
            day += timedelta(days=1)
