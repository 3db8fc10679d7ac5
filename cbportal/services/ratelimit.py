"""Customer lookups are rate-limited against receipt guessing: a client (IP address)
with too many failed lookups in a window is refused with `TooManyAttempts` (HTTP 429)
until the window has passed. Failures are rows in the database, so every app process
counts the same ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from cbportal.models import LookupFailure
from cbportal.services.errors import ServiceError

WINDOW = timedelta(minutes=15)
MAX_FAILURES = 10


class TooManyAttempts(ServiceError):
    status = 429
    default_code = "too_many_attempts"

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed lookups from your address; try again in {retry_after // 60 + 1} minutes")
        self.retry_after = retry_after


def check(session: Session, *, client: str, now: datetime) -> None:
    """Raise TooManyAttempts when `client` failed MAX_FAILURES times within the window."""
    since = now - WINDOW
    rows = session.exec(select(func.count(), func.min(LookupFailure.at)).where(
        LookupFailure.client == client[:64], LookupFailure.at > since)).one()
    count, oldest = rows
    if count >= MAX_FAILURES:
        raise TooManyAttempts(max(1, int((oldest + WINDOW - now).total_seconds())))


def record_failure(session: Session, *, client: str, now: datetime) -> None:
    """Count one failed lookup (in the caller's transaction), dropping this client's expired rows."""
    session.execute(delete(LookupFailure).where(LookupFailure.client == client[:64],
                                                LookupFailure.at <= now - WINDOW))
    session.add(LookupFailure(client=client[:64], at=now))


def guarded_lookup(engine, *, client: str, now: datetime, receipt: str, email: str) -> dict:
    """The customer's order view, refused after too many failures from `client` (the portal's lookup)."""
    from cbportal.db import reader
    from cbportal.services import orders
    from cbportal.services.errors import NotFound

    with reader(engine) as session:
        check(session, client=client, now=now)
        try:
            return orders.order_view(session, orders.customer_lookup(session, receipt=receipt, email=email))
        except NotFound:
            pass
    with Session(engine) as session:
        record_failure(session, client=client, now=now)
        session.commit()
    raise NotFound("no order matches that receipt and email", "order_not_found")
