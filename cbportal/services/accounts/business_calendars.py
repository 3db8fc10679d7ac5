"""A vendor account's business calendar (RULES R2): its time zone, a holiday calendar
(country and optional region from the maintained `holidays` package) and its own closed
dates. Builds the `BusinessCalendar` the ticket timers use, lists the calendars a vendor
may pick, and lets the owner change the account's choice."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from cbportal.models import ClosedDate, VendorAccount
from cbportal.services.accounts.accounts import visible_account
from cbportal.services.accounts.auth import Actor
from cbportal.services.core import audit
from cbportal.services.core.calendar import BusinessCalendar
from cbportal.services.core.errors import Forbidden, Invalid

MAX_CLOSED_DATES = 100
MAX_LABEL = 80


def _countries() -> dict[str, list[str]]:
    """ISO 3166-1 alpha-2 code -> its region codes, for every country the package has."""
    import holidays

    return {code: subdivisions for code, subdivisions in holidays.list_supported_countries().items()
            if len(code) == 2}


def _words(class_name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)


def countries() -> list[tuple[str, str]]:
    """Every country calendar the package has, as (ISO code, English name), sorted by name."""
    from holidays import registry

    names = {entry[1]: _words(entry[0]) for entry in registry.COUNTRIES.values()}
    return sorted(((code, names.get(code, code)) for code in _countries()), key=lambda pair: pair[1])


def regions(country: str | None) -> list[tuple[str, str]]:
    """The regions (subdivisions) of a country calendar as (code, name); [] for none."""
    if not country or country not in _countries():
        return []
    import holidays

    entity = holidays.country_holidays(country, years=[])
    names = {code: name for name, code in (getattr(entity, "subdivisions_aliases", None) or {}).items()}
    return [(code, names.get(code, code)) for code in entity.subdivisions]


def valid_choice(country: str | None, region: str | None) -> tuple[str | None, str | None]:
    """A supported (country, region) pair, upper-cased; region only with a country."""
    country = (country or "").strip().upper() or None
    region = (region or "").strip() or None
    if country is None:
        if region:
            raise Invalid("choose a country before a region", "invalid_holiday_region")
        return None, None
    supported = _countries()
    if country not in supported:
        raise Invalid(f"{country!r} is not a holiday calendar we have: use a country code such as US or DE",
                      "invalid_holiday_country")
    if region is not None:
        codes = {code.upper(): code for code in supported[country]}
        if region.upper() not in codes:
            raise Invalid(f"{region!r} is not a region of {country}", "invalid_holiday_region")
        region = codes[region.upper()]
    return country, region


def valid_closed_dates(entries) -> list[tuple[date, str]]:
    """[(date, label)] from dates, ISO strings, (date, label) pairs or {'date', 'label'} dicts;
    duplicates refused, at most 100."""
    result: dict[date, str] = {}
    for entry in entries or []:
        if isinstance(entry, dict):
            day, label = entry.get("date"), entry.get("label") or ""
        elif isinstance(entry, (tuple, list)):
            day, label = (entry[0], entry[1] if len(entry) > 1 else "")
        else:
            day, label = entry, ""
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day.strip())
            except ValueError:
                raise Invalid(f"{day!r} is not a date like 2026-12-24", "invalid_closed_date") from None
        if not isinstance(day, date) or isinstance(day, datetime):
            raise Invalid("a closed date is a date like 2026-12-24", "invalid_closed_date")
        label = str(label).strip()
        if len(label) > MAX_LABEL:
            raise Invalid(f"a closed date's label is at most {MAX_LABEL} characters", "invalid_closed_date")
        if day in result:
            raise Invalid(f"{day.isoformat()} is listed twice", "duplicate_closed_date")
        result[day] = label
    if len(result) > MAX_CLOSED_DATES:
        raise Invalid(f"at most {MAX_CLOSED_DATES} closed dates", "too_many_closed_dates")
    return sorted(result.items())


def parse_closed_lines(text: str) -> list[tuple[date, str]]:
    """Closed dates typed one per line, a date then an optional label: '2026-12-24 Christmas Eve'."""
    entries = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            day, _, label = line.partition(" ")
            entries.append((day, label))
    return valid_closed_dates(entries)


def closed_lines(closed: list[tuple[date, str]]) -> str:
    return "\n".join(f"{day.isoformat()} {label}".rstrip() for day, label in closed)


def closed_dates(session: Session, account_id: int) -> list[tuple[date, str]]:
    rows = session.exec(select(ClosedDate).where(ClosedDate.account_id == account_id).order_by(ClosedDate.day))
    return [(row.day, row.label) for row in rows]


def for_account(session: Session, account: VendorAccount) -> BusinessCalendar:
    """The account's business calendar for the timers (R2)."""
    return BusinessCalendar(tz=account.time_zone, country=account.holiday_country, region=account.holiday_region,
                            closed=tuple(closed_dates(session, account.id)))


def view(session: Session, account: VendorAccount) -> dict:
    return {"holiday_country": account.holiday_country, "holiday_region": account.holiday_region,
            "closed_dates": [{"date": day.isoformat(), "label": label}
                             for day, label in closed_dates(session, account.id)]}


_UNSET = object()


def set_calendar(session: Session, *, now: datetime, actor: Actor, nickname: str, country=_UNSET, region=_UNSET,
                 closed=_UNSET) -> VendorAccount:
    """The owner picks the account's holiday calendar and/or replaces its closed dates.

    Only what is given changes; a new country without a region clears the region. Times
    already set on open tickets stay; new timers use the new calendar.
    """
    account = visible_account(session, actor, nickname)
    if not actor.is_owner:
        raise Forbidden("only the account owner may change settings", "owner_only")
    if country is not _UNSET or region is not _UNSET:
        new_country = account.holiday_country if country is _UNSET else country
        new_region = (account.holiday_region if new_country == account.holiday_country else None) \
            if region is _UNSET else region
        account.holiday_country, account.holiday_region = valid_choice(new_country, new_region)
        session.add(account)
    if closed is not _UNSET:
        days = valid_closed_dates(closed)
        session.execute(delete(ClosedDate).where(ClosedDate.account_id == account.id))
        session.add_all([ClosedDate(account_id=account.id, day=day, label=label) for day, label in days])
    session.flush()
    audit.record(session, now=now, actor=actor, action="account.calendar", entity="vendor_account",
                 entity_id=account.id, account_id=account.id, country=account.holiday_country,
                 region=account.holiday_region)
    return account
