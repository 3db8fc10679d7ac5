"""R2 business time and weekend deferral, R5 bill dates: exact cases, DST weeks, properties."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbportal.services.core import calendar as cal

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Tokyo"]


def at(tz, y, m, d, h=0, mi=0):
    return pendulum.datetime(y, m, d, h, mi, tz=tz).in_timezone("UTC")


def local_str(instant, tz):
    return pendulum.instance(instant).in_timezone(tz).format("ddd YYYY-MM-DD HH:mm")


# 2026-01-07 is a Wednesday.
@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("start, expected", [
    ((2026, 1, 7, 10), "Thu 2026-01-08 10:00"),   # Wed 10:00 + 24 bh = Thu 10:00
    ((2026, 1, 9, 10), "Mon 2026-01-12 10:00"),   # Fri 10:00 + 24 bh = Mon 10:00
    ((2026, 1, 10, 13), "Tue 2026-01-13 00:00"),  # Sat 13:00 + 24 bh = Tue 00:00
    ((2026, 1, 11, 23), "Tue 2026-01-13 00:00"),  # Sun 23:00 + 24 bh = Tue 00:00
])
def test_r2_seed_examples(tz, start, expected):
    assert local_str(cal.add_business_hours(at(tz, *start), 24, tz), tz) == expected


def test_r2_deadline_at_friday_midnight_is_monday():
    tz = "Europe/Berlin"
    assert local_str(cal.add_business_hours(at(tz, 2026, 1, 9, 0), 24, tz), tz) == "Mon 2026-01-12 00:00"


def test_r2_business_days():
    tz = "America/New_York"
    assert local_str(cal.add_business_days(at(tz, 2026, 1, 7, 9), 7, tz), tz) == "Fri 2026-01-16 09:00"
    assert local_str(cal.add_business_days(at(tz, 2026, 1, 7, 9), 14, tz), tz) == "Tue 2026-01-27 09:00"


@pytest.mark.parametrize("tz, start, expected", [
    # US spring forward Sun 2026-03-08: the weekend is shorter in real time, business hours unchanged.
    ("America/New_York", (2026, 3, 6, 10), "Mon 2026-03-09 10:00"),
    # EU spring forward Sun 2026-03-29, fall back Sun 2026-10-25.
    ("Europe/Berlin", (2026, 3, 27, 10), "Mon 2026-03-30 10:00"),
    ("Europe/Berlin", (2026, 10, 23, 10), "Mon 2026-10-26 10:00"),
    # Sydney fall back Sun 2026-04-05, spring forward Sun 2026-10-04.
    ("Australia/Sydney", (2026, 4, 3, 10), "Mon 2026-04-06 10:00"),
    ("Australia/Sydney", (2026, 10, 2, 10), "Mon 2026-10-05 10:00"),
    # US fall back Sun 2026-11-01.
    ("America/New_York", (2026, 10, 30, 10), "Mon 2026-11-02 10:00"),
])
def test_r2_dst_weekends(tz, start, expected):
    assert local_str(cal.add_business_hours(at(tz, *start), 24, tz), tz) == expected


def test_r2_counter_agrees_with_adder_across_a_dst_week():
    tz = "America/New_York"
    start = at(tz, 2026, 3, 5, 12)
    end = cal.add_business_hours(start, 30, tz)
    assert cal.business_hours_between(start, end, tz) == pytest.approx(30)


def test_r2_missing_local_midnight_resolves_forward():
    # Chile springs forward at local midnight on Sun 2026-09-06: 00:00 does not exist.
    tz = "America/Santiago"
    assert local_str(cal.local_midnight(date(2026, 9, 6), tz), tz) == "Sun 2026-09-06 01:00"
    # Deferring Sat 2026-09-05 00:30 lands on Mon 00:30, which exists.
    assert local_str(cal.defer_off_weekend(at(tz, 2026, 9, 5, 0, 30), tz), tz) == "Mon 2026-09-07 00:30"


instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC))
zones = st.sampled_from(ZONES)


@settings(max_examples=300, deadline=None)
@given(start=instants, hours=st.integers(0, 500), tz=zones)
def test_r2_business_deadline_never_on_a_weekend(start, hours, tz):
    assert not cal.is_weekend(cal.add_business_hours(start, hours, tz), tz)


@settings(max_examples=300, deadline=None)
@given(start=instants, a=st.integers(0, 200), b=st.integers(0, 200), tz=zones)
def test_r2_adding_a_then_b_equals_adding_a_plus_b(start, a, b, tz):
    assert cal.add_business_hours(cal.add_business_hours(start, a, tz), b, tz) == \
        cal.add_business_hours(start, a + b, tz)


@settings(max_examples=200, deadline=None)
@given(start=instants, hours=st.integers(1, 300), tz=zones)
def test_r2_deadline_is_at_least_the_hours_later(start, hours, tz):
    end = cal.add_business_hours(start, hours, tz)
    assert end - start >= timedelta(hours=hours)
    assert cal.business_hours_between(start, end, tz) == pytest.approx(hours)


# --- R5 ------------------------------------------------------------------------------

@pytest.mark.parametrize("first, unit, count, expected", [
    (date(2026, 3, 31), "month", 1, [date(2026, 4, 30), date(2026, 5, 30)]),
    (date(2026, 7, 31), "month", 2, [date(2026, 9, 30), date(2026, 11, 30)]),
    (date(2026, 1, 31), "month", 3, [date(2026, 4, 30)]),
    (date(2025, 8, 31), "month", 6, [date(2026, 2, 28), date(2026, 8, 28)]),
    (date(2028, 2, 29), "month", 12, [date(2029, 2, 28), date(2030, 2, 28)]),
    (date(2026, 1, 31), "month", 1, [date(2026, 2, 28), date(2026, 3, 28)]),
    (date(2028, 1, 31), "month", 1, [date(2028, 2, 29), date(2028, 3, 29)]),
    (date(2026, 12, 28), "week", 1, [date(2027, 1, 4)]),
    (date(2026, 12, 28), "week", 2, [date(2027, 1, 11)]),
    (date(2026, 2, 27), "day", 3, [date(2026, 3, 2)]),
])
def test_r5_next_bill_dates(first, unit, count, expected):
    assert cal.bill_dates(first, unit, count, len(expected) + 1)[1:] == expected


@given(first=st.dates(date(2000, 1, 1), date(2090, 1, 1)),
       unit=st.sampled_from(["day", "week", "month"]), count=st.integers(1, 12))
def test_r5_bill_dates_strictly_increase(first, unit, count):
    dates = cal.bill_dates(first, unit, count, 30)
    assert all(a < b for a, b in pairwise(dates))


@given(first=st.dates(date(2000, 1, 1), date(2090, 1, 1)), count=st.integers(1, 12))
def test_r5_clamp_carries_forward(first, count):
    dates = cal.bill_dates(first, "month", count, 24)
    days = [d.day for d in dates]
    # the day of month never rises again once clamped, and only falls at a short month
    assert all(b <= a for a, b in pairwise(days))
    for a, b in pairwise(dates):
        assert b == cal.add_months_clamped(a, count)


def test_r5_admin_frequencies_and_reminders():
    assert cal.is_admin_frequency("month", 6) and cal.is_admin_frequency("month", 12)
    assert not cal.is_admin_frequency("month", 3)
    # R5 (updated): 6 months or longer in another unit needs the grant too.
    assert cal.is_admin_frequency("week", 26) and cal.is_admin_frequency("day", 182)
    assert not cal.is_admin_frequency("week", 25) and not cal.is_admin_frequency("day", 181)
    assert cal.reminder_optional("month", 1) and cal.reminder_optional("week", 2)
    assert not cal.reminder_optional("month", 3) and not cal.reminder_optional("day", 90)
    assert cal.frequency_label("month", 3) == "quarterly"
