"""Ticket timers (RULES R3), pure: when a refund or cancel ticket processes, and the
tech-support inactivity steps (warnings and close) after whoever acted last."""

from __future__ import annotations

from datetime import datetime, timedelta

from cbportal.models import Party
from cbportal.services.calendar import add_business_days, add_business_hours, as_utc, defer_off_weekend

VENDOR_DELAY = timedelta(minutes=5)
PHYSICAL_DELAY = timedelta(days=19)
CUSTOMER_WARNINGS = (timedelta(hours=48), timedelta(hours=96))
CUSTOMER_CLOSE = timedelta(hours=144)
VENDOR_WARNING_DAYS, VENDOR_CLOSE_DAYS = 7, 14


def process_at(*, at: datetime, by_vendor: bool, physical: bool, vendor_flagged: bool, tz: str) -> tuple[datetime, str]:
    """When a ticket that became refund/cancel at `at` processes, and how that was computed.

    The first line that applies wins: flagged vendor -> at once; set by the vendor or a
    clerk -> 5 minutes; physical product -> 19 calendar days, off weekends; otherwise
    24 business hours in the vendor's zone.
    """
    at = as_utc(at)
    if vendor_flagged:
        return at, "immediately (vendor flagged)"
    if by_vendor:
        return at + VENDOR_DELAY, "5 minutes after the vendor's request"
    if physical:
        return defer_off_weekend(at + PHYSICAL_DELAY, tz), "19 days (physical product), not on a weekend"
    return add_business_hours(at, 24, tz), "24 business hours; weekend hours do not count"


def inactivity_step(*, last_actor: Party | str, last_action_at: datetime, warnings_sent: int,
                    tz: str) -> tuple[str, datetime]:
    """The next inactivity step of an open tech-support ticket: ('warn', at) or ('close', at).

    Customer last (or just opened): warnings at +48 h and +96 h, close at +144 h deferred
    off weekends. Vendor last: a warning at +7 business days, close at +14 business days.
    """
    start = as_utc(last_action_at)
    if str(last_actor) == Party.VENDOR.value:
        if warnings_sent < 1:
            return "warn", add_business_days(start, VENDOR_WARNING_DAYS, tz)
        return "close", add_business_days(start, VENDOR_CLOSE_DAYS, tz)
    if warnings_sent < len(CUSTOMER_WARNINGS):
        return "warn", start + CUSTOMER_WARNINGS[warnings_sent]
    return "close", defer_off_weekend(start + CUSTOMER_CLOSE, tz)
