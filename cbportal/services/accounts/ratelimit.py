"""Attempt limits shared by every process through the database: customer lookups
(receipt + email, against receipt guessing) and, through `counters`, sign-ins.

Counting is atomic: each attempt locks its counter rows (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite's `BEGIN IMMEDIATE` write lock) and increments them in one
transaction *before* the lookup runs, so 50 concurrent guesses cannot all slip
under the limit. A lookup that finds the order gives its attempt back (`release`),
so only failures use up the allowance. Keys are the client's address AND the
receipt (or ticket) asked about: customers behind one address get a larger shared
allowance, one receipt a small one. A request with a valid signed link is never
counted nor refused (the portal checks the signature first)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from cbportal.models import AttemptCounter
from cbportal.services.core.errors import ServiceError

WINDOW = timedelta(minutes=15)
ADDRESS_MAX = 30    # failed lookups from one address per window
SUBJECT_MAX = 10    # failed lookups of one receipt (or ticket) per window
MAX_FAILURES = SUBJECT_MAX


def wait_phrase(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class TooManyAttempts(ServiceError):
    status = 429
    default_code = "too_many_attempts"

    def __init__(self, retry_after: int, message: str | None = None, code: str | None = None):
        super().__init__(message or f"too many failed lookups; try again in {wait_phrase(retry_after)}", code)
        self.retry_after = retry_after


def locked_counter(session: Session, key: str, now: datetime) -> AttemptCounter:
    """The counter row for `key`, created if missing and locked for this transaction."""
    key = key[:200]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(AttemptCounter).values(key=key, window_start=now, count=0)
                    .on_conflict_do_nothing(index_elements=["key"]))
    return session.exec(select(AttemptCounter).where(AttemptCounter.key == key)
                        .with_for_update().execution_options(populate_existing=True)).one()


def lookup_keys(address: str, subject: str) -> dict[str, int]:
    return {f"lookup-addr:{address[:64]}": ADDRESS_MAX, f"lookup-subject:{subject[:100]}": SUBJECT_MAX}


def reserve(engine, *, address: str, subject: str, now: datetime) -> list[str]:
    """Count one lookup attempt against the address and the subject (receipt or ticket),
    in one transaction; raise TooManyAttempts when either is over its limit."""
    keys = lookup_keys(address, subject)
    retry_after = 0
    with Session(engine) as session:
        for key in sorted(keys):            # one lock order: no deadlocks between requests
            row = locked_counter(session, key, now)
            if row.window_start + WINDOW <= now:
                row.window_start, row.count = now, 0
            row.count += 1
            if row.count > keys[key]:
                retry_after = max(retry_after, max(1, int((row.window_start + WINDOW - now).total_seconds())))
            session.add(row)
        session.commit()
    if retry_after:
        raise TooManyAttempts(retry_after)
    return sorted(keys)


def release(engine, keys: list[str]) -> None:
    """The attempt found what it asked for: it does not count as a failure."""
    with Session(engine) as session:
        session.execute(update(AttemptCounter).where(AttemptCounter.key.in_(keys), AttemptCounter.count > 0)
                        .values(count=AttemptCounter.count - 1))
        session.commit()
