"""One input policy for the REST API and the pages (issue "hostile input"):

- text is NUL-free and free of other control characters, trimmed, and length-bounded;
- one-line fields (names, titles, subjects, emails, codes) refuse line breaks, because
  they end up in email headers and CSV cells;
- numbers and booleans are strictly typed (`"periods": "1"` is refused, not converted);
- dates are ISO strings within sane bounds, and bill dates within 2 years of today.

The API uses the annotated types (`Line`, `Text`, `Int`, `Bool`, `Pct`, `Day`); a
violation is a 422 with the API's error shape. Pages and services call `line`/`text`
/`bill_date`, which raise `Invalid` (same sentence, same snake_case code)."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, Strict

from cbportal.services.core.errors import Invalid

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
BILL_DATE_HORIZON = timedelta(days=2 * 365)


class PolicyError(ValueError):
    """A value the policy refuses (pydantic turns a ValueError into a 422)."""


def _clean(value: str, *, max_length: int, min_length: int, one_line: bool) -> str:
    if not isinstance(value, str):
        raise PolicyError("must be text")
    if "\x00" in value:
        raise PolicyError("must not contain NUL characters")
    if one_line and ("\n" in value or "\r" in value or "\u2028" in value or "\u2029" in value):
        raise PolicyError("must be a single line (no line breaks)")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise PolicyError("must not contain control characters")
    value = value.strip()
    if len(value) < min_length:
        raise PolicyError("must not be empty" if min_length == 1 else f"must have at least {min_length} characters")
    if len(value) > max_length:
        raise PolicyError(f"must have at most {max_length} characters")
    return value


def line(value: str, field: str, max_length: int = 200, min_length: int = 0) -> str:
    """A one-line value for pages and services; raises Invalid naming the field."""
    try:
        return _clean(value, max_length=max_length, min_length=min_length, one_line=True)
    except PolicyError as error:
        raise Invalid(f"{field} {error}", "invalid_input") from None


def text(value: str, field: str, max_length: int = 10_000, min_length: int = 0) -> str:
    """A multi-line value (comments, descriptions) for pages and services."""
    try:
        return _clean(value, max_length=max_length, min_length=min_length, one_line=False)
    except PolicyError as error:
        raise Invalid(f"{field} {error}", "invalid_input") from None


def header_safe(value: str) -> str:
    """Line breaks folded to spaces: for building email headers from stored rows that
    predate this policy (they must never wedge delivery)."""
    return " ".join(str(value).replace("\x00", "").split())


def bill_date(day: date, today: date, field: str = "date") -> date:
    """A bill date: not more than 2 years from today (either way)."""
    if abs((day - today).days) > BILL_DATE_HORIZON.days:
        raise Invalid(f"{field} must be within 2 years of today", "date_out_of_range")
    return day


def _strict_day(value):
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise PolicyError("must be a date written YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise PolicyError("must be a date written YYYY-MM-DD") from None
    if not EARLIEST <= day <= LATEST:
        raise PolicyError(f"must be between {EARLIEST} and {LATEST}")
    return day


def Line(max_length: int, min_length: int = 0):  # noqa: N802 - a type factory
    """One-line text for API models."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length),
                     AfterValidator(lambda v: _clean(v, max_length=max_length, min_length=min_length, one_line=True))]


def Text(max_length: int, min_length: int = 0):  # noqa: N802
    """Multi-line text for API models."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length),
                     AfterValidator(lambda v: _clean(v, max_length=max_length, min_length=min_length, one_line=False))]


def Int(ge: int, le: int):  # noqa: N802
    """A JSON integer (no strings, no booleans) within bounds."""
    return Annotated[int, Strict(), Field(ge=ge, le=le)]


def Pct():  # noqa: N802
    return Annotated[float, Strict(), Field(ge=0, le=100)]


Bool = Annotated[bool, Strict()]
Day = Annotated[date, BeforeValidator(_strict_day)]
