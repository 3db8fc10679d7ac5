"""R3 timers: processing delays and inactivity steps, across weekends and DST weeks."""

import pendulum
import pytest

from cbportal.models import Party
from cbportal.services.tickets.timers import inactivity_step, process_at


def at(tz, *args):
    return pendulum.datetime(*args, tz=tz).in_timezone("UTC")


def local(instant, tz):
    return pendulum.instance(instant).in_timezone(tz).format("ddd YYYY-MM-DD HH:mm")


ZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney"]


@pytest.mark.parametrize("tz", ZONES)
def test_r3_customer_refund_24_business_hours_over_a_weekend(tz):
    when, why = process_at(at=at(tz, 2026, 1, 9, 16), by_vendor=False, physical=False, vendor_flagged=False, tz=tz)
    assert local(when, tz) == "Mon 2026-01-12 16:00"
    assert "weekend hours do not count" in why


@pytest.mark.parametrize("tz, start, expected", [
    ("America/New_York", (2026, 3, 6, 16), "Mon 2026-03-09 16:00"),     # spring forward weekend
    ("Europe/Berlin", (2026, 10, 23, 9), "Mon 2026-10-26 09:00"),       # fall back weekend
    ("Australia/Sydney", (2026, 4, 3, 12), "Mon 2026-04-06 12:00"),
    ("Asia/Tokyo", (2026, 3, 6, 16), "Mon 2026-03-09 16:00"),           # no DST
])
def test_r3_dst_weeks(tz, start, expected):
    when, _ = process_at(at=at(tz, *start), by_vendor=False, physical=False, vendor_flagged=False, tz=tz)
    assert local(when, tz) == expected


def test_r3_first_rule_wins():
    tz = "UTC"
    t = at(tz, 2026, 1, 7, 10)
    assert process_at(at=t, by_vendor=True, physical=True, vendor_flagged=True, tz=tz, kind="refund")[0] == t
    assert local(process_at(at=t, by_vendor=True, physical=True, vendor_flagged=False, tz=tz, kind="refund")[0],
                 tz) == "Wed 2026-01-07 10:05"
    # physical refund: 19 calendar days from Wed Jan 7 = Mon Jan 26 (weekday, kept)
    assert local(process_at(at=t, by_vendor=False, physical=True, vendor_flagged=False, tz=tz, kind="refund")[0],
                 tz) == "Mon 2026-01-26 10:00"
    # physical from Mon Jan 12 +19 = Sat Jan 31 -> Mon Feb 2
    assert local(process_at(at=at(tz, 2026, 1, 12, 10), by_vendor=False, physical=True, vendor_flagged=False,
                            tz=tz, kind="refund")[0], tz) == "Mon 2026-02-02 10:00"


def test_r3_physical_cancel_takes_24_business_hours_not_19_days():
    """R3 (updated): only a physical product's refund waits 19 days; its cancel is 24 business hours."""
    tz = "America/New_York"
    when, why = process_at(at=at(tz, 2026, 6, 5, 9), by_vendor=False, physical=True, vendor_flagged=False, tz=tz,
                           kind="cancel")
    assert local(when, tz) == "Mon 2026-06-08 09:00"
    assert why == "24 business hours; weekend hours do not count"
    refund, why = process_at(at=at(tz, 2026, 6, 5, 9), by_vendor=False, physical=True, vendor_flagged=False, tz=tz,
                             kind="refund")
    assert local(refund, tz) == "Wed 2026-06-24 09:00" and why == "19 days (physical product refund); not on a weekend"


def test_r3_physical_ticket_needs_its_type():
    with pytest.raises(ValueError):
        process_at(at=at("UTC", 2026, 1, 7), by_vendor=False, physical=True, vendor_flagged=False, tz="UTC")


@pytest.mark.parametrize("tz", ZONES)
def test_r3_vendor_five_minutes_deferred_off_the_weekend(tz):
    """R3 (updated) / R2: a vendor's 5-minute ticket that would expire on Saturday or Sunday waits for Monday."""
    when, why = process_at(at=at(tz, 2026, 1, 10, 23, 58), by_vendor=True, physical=False, vendor_flagged=False,
                           tz=tz, kind="refund")
    assert local(when, tz) == "Mon 2026-01-12 00:03"
    assert why == "5 minutes after the vendor's request; not on a weekend"
    # Friday 23:57 + 5 min = Saturday 00:02 -> Monday 00:02; Friday 23:50 stays Friday.
    assert local(process_at(at=at(tz, 2026, 1, 9, 23, 57), by_vendor=True, physical=False, vendor_flagged=False,
                            tz=tz, kind="cancel")[0], tz) == "Mon 2026-01-12 00:02"
    assert process_at(at=at(tz, 2026, 1, 9, 23, 50), by_vendor=True, physical=False, vendor_flagged=False,
                      tz=tz, kind="cancel") == (at(tz, 2026, 1, 9, 23, 55), "5 minutes after the vendor's request")


def test_r3_customer_last_inactivity_warnings_and_deferred_close():
    tz = "America/New_York"
    opened = at(tz, 2026, 1, 5, 9)            # Monday
    steps = [inactivity_step(last_actor=Party.CUSTOMER, last_action_at=opened, warnings_sent=n, tz=tz)
             for n in range(3)]
    assert [(k, local(t, tz)) for k, t in steps] == [
        ("warn", "Wed 2026-01-07 09:00"), ("warn", "Fri 2026-01-09 09:00"),
        ("close", "Mon 2026-01-12 09:00")]        # +144 h = Sun 09:00, deferred to Monday


def test_r3_customer_close_on_a_weekday_is_not_moved():
    tz = "UTC"
    opened = at(tz, 2026, 1, 7, 9)            # Wednesday + 6 days = Tuesday
    assert local(inactivity_step(last_actor=Party.CUSTOMER, last_action_at=opened, warnings_sent=2, tz=tz)[1], tz) == \
        "Tue 2026-01-13 09:00"


def test_r3_vendor_last_business_days():
    tz = "Asia/Tokyo"
    replied = at(tz, 2026, 1, 7, 9)           # Wednesday
    assert [(k, local(t, tz)) for k, t in (
        inactivity_step(last_actor=Party.VENDOR, last_action_at=replied, warnings_sent=n, tz=tz)
        for n in range(2))] == [
        ("warn", "Fri 2026-01-16 09:00"), ("close", "Tue 2026-01-27 09:00")]
