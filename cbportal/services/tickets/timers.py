"""Ticket timers (RULES R3), pure: when a refund or cancel ticket processes, and the
tech-support inactivity steps (warnings and close) after whoever acted last.

Every timer takes the vendor's business calendar (R2: its zone, holiday calendar and
closed dates), or a plain zone name for weekends only. The explanation returned with a
processing time says how it was computed, naming any holiday it was paused for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cbportal.models import Party
from cbportal.services.core.calendar import (
    BusinessCalendar,
    add_business_days,
    add_business_hours,
    as_utc,
    defer_off_weekend,
    pause_note,
)

VENDOR_DELAY = timedelta(minutes=5)
PHYSICAL_DELAY = timedelta(days=19)
CUSTOMER_WARNINGS = (timedelta(hours=48), timedelta(hours=96))
CUSTOMER_CLOSE = timedelta(hours=144)
VENDOR_WARNING_DAYS, VENDOR_CLOSE_DAYS = 7, 14


def _deferred(due: datetime, tz: str | BusinessCalendar) -> tuple[datetime, str]:
    """`due` deferred off closed days, and '' or '; not on a weekend' / '; paused for ...'."""
    moved = defer_off_weekend(due, tz)
    if moved == as_utc(due):
        return moved, ""
    note = pause_note(due, moved, tz)
    return moved, "; " + (note if note else "not on a weekend")


def process_at(*, at: datetime, by_vendor: bool, physical: bool, vendor_flagged: bool,
               tz: str | BusinessCalendar, kind: str | None = None) -> tuple[datetime, str]:
    """When a ticket that became refund/cancel (`kind`) at `at` processes, and how that was computed.

    The first line that applies wins (R3): flagged vendor -> at once; set by the vendor or a
    clerk -> 5 minutes, deferred off closed days; a refund of a physical product -> 19
    calendar days, deferred off closed days; otherwise (every cancel included) 24 business
    hours in the vendor's calendar.
    """
    at = as_utc(at)
    if vendor_flagged:
        return at, "immediately (vendor flagged)"
    if by_vendor:
        when, note = _deferred(at + VENDOR_DELAY, tz)
        return when, "5 minutes after the vendor's request" + note
    if physical and kind is None:
        raise ValueError("say whether the physical product's ticket is a refund or a cancel")
    if physical and str(kind) == "refund":
        when, note = _deferred(at + PHYSICAL_DELAY, tz)
        return when, "19 days (physical product refund)" + (note or "; not on a weekend")
    when = add_business_hours(at, 24, tz)
    note = pause_note(at, when, tz)
    return when, "24 business hours; weekend hours do not count" + (f"; {note}" if note else "")


def inactivity_step(*, last_actor: Party | str, last_action_at: datetime, warnings_sent: int,
                    tz: str | BusinessCalendar) -> tuple[str, datetime]:
    """The next inactivity step of an open tech-support ticket: ('warn', at) or ('close', at).

    Customer last (or just opened): warnings at +48 h and +96 h, close at +144 h deferred
    off closed days. Vendor last: a warning at +7 business days, close at +14 business days.
    """
    start = as_utc(last_action_at)
    if str(last_actor) == Party.VENDOR.value:
        if warnings_sent < 1:
            return "warn", add_business_days(start, VENDOR_WARNING_DAYS, tz)
        return "close", add_business_days(start, VENDOR_CLOSE_DAYS, tz)
    if warnings_sent < len(CUSTOMER_WARNINGS):
        return "warn", start + CUSTOMER_WARNINGS[warnings_sent]
    return "close", defer_off_weekend(start + CUSTOMER_CLOSE, tz)
