"""Request plumbing shared by the routes: database session, clock, acting user."""

from __future__ import annotations

from typing import Iterator

from fastapi import Depends, Request
from sqlmodel import Session

from cbportal.db import get_engine, reader
from cbportal.services import auth, ratelimit
from cbportal.services.clock import Clock, get_clock


def db_session() -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with Session(get_engine()) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def clock() -> Clock:
    return get_clock()


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def actor(request: Request, session: Session = Depends(db_session)) -> auth.Actor:
    return auth.actor_for_api_key(session, raw=bearer_token(request))


def actor_outside_transaction(request: Request) -> auth.Actor:
    """The key's user, read in a short session of its own: for routes that run several
    transactions (and gateway calls) themselves instead of one per request."""
    with reader(get_engine()) as session:
        return auth.actor_for_api_key(session, raw=bearer_token(request))


CUSTOMER_PREFIX = "/api/v1/customer/"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def customer_rate_limit(request: Request) -> None:
    """Refuse customer routes (receipt + email) to a client with too many failed lookups."""
    if not request.url.path.startswith(CUSTOMER_PREFIX):
        return
    with reader(get_engine()) as session:
        ratelimit.check(session, client=client_address(request), now=get_clock().now())


def record_customer_failure(request: Request) -> None:
    with Session(get_engine()) as session:
        ratelimit.record_failure(session, client=client_address(request), now=get_clock().now())
        session.commit()
