"""The one way instants are shown to vendors (issue 16 point 4, RULES R2): in the account's
time zone, with the zone named, e.g. "2026-01-05 14:03 EST (America/New_York)" or the short
"Jan 5, 14:03 EST". Pages, CSV files and the ticket thread all call `local_text`."""

from __future__ import annotations

from datetime import datetime

import pendulum


def local_text(instant: datetime | str | None, tz: str, *, with_zone_name: bool = False) -> str:
    """"2026-01-05 14:03 EST" ("" for none); the IANA name in brackets on request."""
    if instant is None or instant == "":
        return ""
    moment = pendulum.parse(instant) if isinstance(instant, str) else pendulum.instance(instant)
    local = moment.in_timezone(tz or "UTC")
    text = f"{local.format('YYYY-MM-DD HH:mm')} {local.tzname() or tz}"
    return f"{text} ({tz})" if with_zone_name and local.tzname() != tz else text


def zone_note(tz: str) -> str:
    """"Times are in America/New_York." for a page or a file."""
    return f"Times are in {tz or 'UTC'}."
