"""Business time and bill dates (RULES R2, R5). Pure functions, no database.

Instants are aware UTC datetimes; local judgements (weekends, holidays, bill dates) are
made in the vendor account's IANA time zone with pendulum. A local time that does not
exist because of a DST change resolves forward (pendulum's default).

Business time (R2) runs over open local days: Monday to Friday, less the days of the
vendor's holiday calendar (a country and optional region from the maintained `holidays`
package) and its own closed dates. Every function that judges business time takes
either a plain IANA zone name (weekends only) or a `BusinessCalendar`.
"""

from __future__ import annotations

import calendar as _stdcal
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import pendulum

SATURDAY = 5  # date.weekday(): Monday 0 ... Sunday 6
WEEKEND = "the weekend"
MAX_CLOSED_RUN = 400  # days; a calendar with no open day for longer than this is refused


@lru_cache(maxsize=512)
def holiday_names(country: str, region: str | None, year: int) -> dict[date, str]:
    """The public holidays of a country (and region) in one year, by local date, in English
    where the package has it (observed days included, e.g. a Saturday holiday's Friday)."""
    import holidays

    probe = holidays.country_holidays(country, subdiv=region, years=[])
    language = "en_US" if "en_US" in (probe.supported_languages or ()) else None
    found = holidays.country_holidays(country, subdiv=region, years=year, language=language)
    return {day: str(name) for day, name in found.items()}


@dataclass(frozen=True)
class BusinessCalendar:
    """A vendor's business calendar: its zone, optional holiday calendar and closed dates."""
    tz: str = "UTC"
    country: str | None = None
    region: str | None = None
    closed: tuple[tuple[date, str], ...] = ()
    _own: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        self._own.update({day: label or "a closed day" for day, label in self.closed})

    def closure(self, day: date) -> str | None:
        """Why a local date is closed ('the weekend', a holiday's name, the vendor's label), or None."""
        if day.weekday() >= SATURDAY:
            return WEEKEND
        if day in self._own:
            return self._own[day]
        if self.country:
            return holiday_names(self.country, self.region, day.year).get(day)
        return None

    def is_open(self, day: date) -> bool:
        return self.closure(day) is None


def calendar_of(cal: str | BusinessCalendar) -> BusinessCalendar:
    return cal if isinstance(cal, BusinessCalendar) else BusinessCalendar(tz=cal)


def as_utc(instant: datetime) -> pendulum.DateTime:
    """An aware instant as a pendulum UTC DateTime (naive input is taken as UTC)."""
    if instant.tzinfo is None:
        return pendulum.instance(instant, tz="UTC")
    return pendulum.instance(instant).in_timezone("UTC")


def local(instant: datetime, tz: str | BusinessCalendar) -> pendulum.DateTime:
    return as_utc(instant).in_timezone(calendar_of(tz).tz)


def local_midnight(day: date, tz: str | BusinessCalendar) -> pendulum.DateTime:
    """The UTC instant of local 00:00 on `day` (forward if 00:00 does not exist)."""
    return pendulum.datetime(day.year, day.month, day.day, tz=calendar_of(tz).tz).in_timezone("UTC")


def is_weekend(instant: datetime, tz: str | BusinessCalendar) -> bool:
    return local(instant, tz).weekday() >= SATURDAY


def is_closed(instant: datetime, cal: str | BusinessCalendar) -> bool:
    """The instant's local date is a weekend day, a holiday or a closed date of the vendor."""
    cal = calendar_of(cal)
    return not cal.is_open(local(instant, cal).date())


def _next_open_day(day: date, cal: BusinessCalendar) -> date:
    """The first open local date after `day`."""
    for n in range(1, MAX_CLOSED_RUN + 1):
        if cal.is_open(day + timedelta(days=n)):
            return day + timedelta(days=n)
    raise ValueError(f"the business calendar has no open day for {MAX_CLOSED_RUN} days after {day}")


def _next_closed_day(day: date, cal: BusinessCalendar) -> date:
    """The first closed local date after `day` (a Saturday comes within 7 days)."""
    n = 1
    while cal.is_open(day + timedelta(days=n)):
        n += 1
    return day + timedelta(days=n)


def _next_open_start(instant: datetime, cal: BusinessCalendar) -> pendulum.DateTime:
    return local_midnight(_next_open_day(local(instant, cal).date(), cal), cal)


def _open_run_end(instant: datetime, cal: BusinessCalendar) -> pendulum.DateTime:
    """Local 00:00 of the first closed day after `instant` (Friday 24:00 in a week without holidays)."""
    return local_midnight(_next_closed_day(local(instant, cal).date(), cal), cal)


def add_business_hours(start: datetime, hours: float, tz: str | BusinessCalendar) -> pendulum.DateTime:
    """The first instant inside business time at which `hours` of elapsed real time
    inside business time (open local days, 00:00 to 24:00) have passed since `start` (R2).

    A deadline that would land exactly at the end of an open run (Friday 24:00, or the
    eve of a holiday at 24:00) is the start of the next open day: no business-hours
    deadline falls on a closed day.
    """
    if hours < 0:
        raise ValueError("hours cannot be negative")
    cal = calendar_of(tz)
    left = timedelta(hours=hours)
    current = as_utc(start)
    while True:
        if is_closed(current, cal):
            current = _next_open_start(current, cal)
        run_end = _open_run_end(current, cal)
        if left < run_end - current:
            return current + left
        left -= run_end - current
        current = run_end  # local 00:00 of a closed day: the loop moves on to the next open day


def add_business_days(start: datetime, days: int, tz: str | BusinessCalendar) -> pendulum.DateTime:
    """N business days = N x 24 business hours (R2)."""
    return add_business_hours(start, 24 * days, tz)


def business_hours_between(start: datetime, end: datetime, tz: str | BusinessCalendar) -> float:
    """Elapsed real hours inside business time from `start` to `end` (0 if end <= start)."""
    cal = calendar_of(tz)
    current, end = as_utc(start), as_utc(end)
    total = timedelta()
    while current < end:
        if is_closed(current, cal):
            current = _next_open_start(current, cal)
            continue
        stop = min(_open_run_end(current, cal), end)
        total += stop - current
        current = stop
    return total.total_seconds() / 3600


def defer_off_weekend(instant: datetime, tz: str | BusinessCalendar) -> pendulum.DateTime:
    """A closed local date (Saturday, Sunday, a holiday, a vendor's closed date) -> the same
    local time on the next open day (R2 "deferred off weekends")."""
    cal = calendar_of(tz)
    here = local(instant, cal)
    if cal.is_open(here.date()):
        return as_utc(here)
    day = _next_open_day(here.date(), cal)
    moved = pendulum.datetime(
        day.year, day.month, day.day,
        here.hour, here.minute, here.second, here.microsecond, tz=cal.tz,
    )
    return moved.in_timezone("UTC")


def closures_between(start: datetime, end: datetime, tz: str | BusinessCalendar) -> list[tuple[date, str]]:
    """The closed local dates other than weekends (holidays, the vendor's closed dates) from
    the local date of `start` up to the day before `end`'s local date (or `end`'s date when
    `end` is not at local midnight): what a deadline was paused or moved for."""
    cal = calendar_of(tz)
    first, here_end = local(start, cal).date(), local(end, cal)
    ends_at_midnight = here_end.time() == here_end.start_of("day").time()
    last = here_end.date() - timedelta(days=1) if ends_at_midnight else here_end.date()
    found, day = [], first
    while day <= last:
        why = cal.closure(day)
        if why is not None and why != WEEKEND:
            found.append((day, why))
        day += timedelta(days=1)
    return found


def pause_note(start: datetime, end: datetime, tz: str | BusinessCalendar) -> str:
    """'paused for Thanksgiving Day (Thu Nov 26)' for the non-weekend closures in [start, end), else ''."""
    closures = closures_between(start, end, tz)
    if not closures:
        return ""
    return "paused for " + ", ".join(f"{name} ({day.strftime('%a %b')} {day.day})" for day, name in closures)


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


ADMIN_FREQUENCY_FROM = {"month": 6, "week": 26, "day": 182}


def is_admin_frequency(unit: str, count: int) -> bool:
    """Semi-annual, annual and any frequency of 6 months or longer in another unit
    (26 weeks or more, 182 days or more) need an admin-granted permission (R5)."""
    return unit in ADMIN_FREQUENCY_FROM and count >= ADMIN_FREQUENCY_FROM[unit]


def reminder_optional(unit: str, count: int) -> bool:
    """The pre-rebill reminder may be off only for frequencies shorter than quarterly (R5)."""
    period_days = {"day": count, "week": 7 * count, "month": 30 * count}[unit]
    return period_days < 90 and not (unit == "month" and count >= 3)
