"""Business time and bill dates (RULES R2, R5). Pure functions, no database.

Instants are aware UTC datetimes; local judgements (weekends, bill dates) are made
in the vendor account's IANA time zone with pendulum. A local time that does not
exist because of a DST change resolves forward (pendulum's default).
"""

from __future__ import annotations

import calendar as _stdcal
from datetime import date, datetime, timedelta

import pendulum

SATURDAY = 5  # date.weekday(): Monday 0 ... Sunday 6


def as_utc(instant: datetime) -> pendulum.DateTime:
    """An aware instant as a pendulum UTC DateTime (naive input is taken as UTC)."""
    if instant.tzinfo is None:
        return pendulum.instance(instant, tz="UTC")
    return pendulum.instance(instant).in_timezone("UTC")


def local(instant: datetime, tz: str) -> pendulum.DateTime:
    return as_utc(instant).in_timezone(tz)


def local_midnight(day: date, tz: str) -> pendulum.DateTime:
    """The UTC instant of local 00:00 on `day` (forward if 00:00 does not exist)."""
    return pendulum.datetime(day.year, day.month, day.day, tz=tz).in_timezone("UTC")


def is_weekend(instant: datetime, tz: str) -> bool:
    return local(instant, tz).weekday() >= SATURDAY


def _next_monday_start(instant: datetime, tz: str) -> pendulum.DateTime:
    here = local(instant, tz)
    days = 7 - here.weekday()
    return local_midnight(here.date() + timedelta(days=days), tz)


def _week_end(instant: datetime, tz: str) -> pendulum.DateTime:
    """Friday 24:00 (= Saturday 00:00) local, of the business week holding `instant`."""
    here = local(instant, tz)
    return local_midnight(here.date() + timedelta(days=SATURDAY - here.weekday()), tz)


def add_business_hours(start: datetime, hours: float, tz: str) -> pendulum.DateTime:
    """The first instant inside business time at which `hours` of elapsed real time
    inside business time (Mon 00:00 - Fri 24:00 local) have passed since `start` (R2).

    A deadline that would land exactly on Friday 24:00 is Monday 00:00: no
    business-hours deadline falls on a weekend.
    """
    if hours < 0:
        raise ValueError("hours cannot be negative")
    left = timedelta(hours=hours)
    current = as_utc(start)
    while True:
        if is_weekend(current, tz):
            current = _next_monday_start(current, tz)
        window_left = _week_end(current, tz) - current
        if left < window_left:
            return current + left
        left -= window_left
        current = _next_monday_start(current, tz)


def add_business_days(start: datetime, days: int, tz: str) -> pendulum.DateTime:
    """N business days = N x 24 business hours (R2)."""
    return add_business_hours(start, 24 * days, tz)


def business_hours_between(start: datetime, end: datetime, tz: str) -> float:
    """Elapsed real hours inside business time from `start` to `end` (0 if end <= start)."""
    current, end = as_utc(start), as_utc(end)
    total = timedelta()
    while current < end:
        if is_weekend(current, tz):
            current = _next_monday_start(current, tz)
            continue
        stop = min(_week_end(current, tz), end)
        total += stop - current
        current = _next_monday_start(current, tz)
    return total.total_seconds() / 3600


def defer_off_weekend(instant: datetime, tz: str) -> pendulum.DateTime:
    """Saturday or Sunday local -> the same local time on the following Monday (R2)."""
    here = local(instant, tz)
    if here.weekday() < SATURDAY:
        return as_utc(here)
    monday = here.date() + timedelta(days=7 - here.weekday())
    moved = pendulum.datetime(
        monday.year, monday.month, monday.day,
        here.hour, here.minute, here.second, here.microsecond, tz=tz,
    )
    return moved.in_timezone("UTC")


# --- R5 bill dates -------------------------------------------------------------

FREQUENCY_UNITS = ("day", "week", "month")


def add_months_clamped(day: date, months: int) -> date:
    """Same day-of-month `months` later, clamped to that month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _stdcal.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def next_bill_date(previous: date, unit: str, count: int) -> date:
    """The bill date after `previous` (R5): +N days, +7N days, or +N months clamped.

    Counted from the previous scheduled date, so the clamp carries forward:
    Mar 31 -> Apr 30 -> May 30.
    """
    if count < 1:
        raise ValueError("frequency count must be at least 1")
    if unit == "day":
        return previous + timedelta(days=count)
    if unit == "week":
        return previous + timedelta(days=7 * count)
    if unit == "month":
        return add_months_clamped(previous, count)
    raise ValueError(f"unknown frequency unit {unit!r}")


def bill_dates(first: date, unit: str, count: int, n: int) -> list[date]:
    """`first` and the n-1 bill dates after it."""
    dates = [first]
    while len(dates) < n:
        dates.append(next_bill_date(dates[-1], unit, count))
    return dates


def frequency_label(unit: str, count: int) -> str:
    """Plain words for a frequency: 'monthly', 'every 2 weeks', 'quarterly'..."""
    named = {("day", 1): "daily", ("week", 1): "weekly", ("week", 2): "every other week",
             ("month", 1): "monthly", ("month", 3): "quarterly",
             ("month", 6): "semi-annually", ("month", 12): "annually"}
    return named.get((unit, count), f"every {count} {unit}s")


def is_admin_frequency(unit: str, count: int) -> bool:
    """Semi-annual and annual need an admin-granted permission (R5)."""
    return unit == "month" and count >= 6


def reminder_optional(unit: str, count: int) -> bool:
    """The pre-rebill reminder may be off only for frequencies shorter than quarterly (R5)."""
    period_days = {"day": count, "week": 7 * count, "month": 30 * count}[unit]
    return period_days < 90 and not (unit == "month" and count >= 3)
