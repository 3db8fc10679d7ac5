"""Request plumbing shared by the routes: database sessions, clock, acting user, and the
customer routes' attempt limit.

Routes take these as `Annotated` aliases (FastAPI's idiom, no call in a default):
`SessionDep`, `ReadSessionDep`, `ClockDep` and `ActorDep`.

Write routes take `db_session`: one transaction committed when the route returns and
*before* the response is sent (`scope="function"`), so a failed commit becomes an error
response (409/422/503 by errors.py), never a 200. Read routes take `read_session`: on
SQLite it begins deferred and never takes the write lock, so readers do not queue
behind each other or behind writers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from cbportal.db import get_engine, reader
from cbportal.services.accounts import auth, ratelimit
from cbportal.services.core.clock import Clock, get_clock
from cbportal.services.core.errors import NotFound

# A route's session is opened in the threadpool (lazily, by its first query) but closed here,
# on threads of its own: if the commit or rollback had to queue for the route threadpool's 40
# tokens, 50 concurrent requests could each hold a connection (or SQLite's write lock) while the
# threads holding those tokens waited for one: a deadlock until the pool's 30 s timeout.
_FINISHERS = anyio.CapacityLimiter(64)


async def _finish(call) -> None:
    await anyio.to_thread.run_sync(call, limiter=_FINISHERS)


async def _write_session() -> AsyncIterator[Session]:
    session = Session(get_engine())
    try:
        yield session
        await _finish(session.commit)
    except BaseException:
        await _finish(session.rollback)
        raise
    finally:
        await _finish(session.close)


async def _read_session() -> AsyncIterator[Session]:
    session = reader(get_engine())
    try:
        yield session
    finally:
        await _finish(session.close)   # closing rolls the read transaction back


db_session = Depends(_write_session, scope="function")
read_session = Depends(_read_session, scope="function")
SessionDep = Annotated[Session, db_session]
ReadSessionDep = Annotated[Session, read_session]


def clock() -> Clock:
    return get_clock()


ClockDep = Annotated[Clock, Depends(clock)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def actor(request: Request) -> auth.Actor:
    """The key's user, read in a short read-only session of its own (no write lock)."""
    with reader(get_engine()) as session:
        return auth.actor_for_api_key(session, raw=bearer_token(request))


actor_outside_transaction = actor
ActorDep = Annotated[auth.Actor, Depends(actor)]

CUSTOMER_PREFIX = "/api/v1/customer/"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _customer_subject(request: Request) -> str:
    """What a customer route asks about: the receipt (body or path) or the ticket."""
    params = request.path_params
    if "receipt" in params:
        return f"receipt:{params['receipt']}"
    if "ticket_id" in params:
        return f"ticket:{params['ticket_id']}"
    try:
        body = await request.json()
    except Exception:
        body = None
    receipt = body.get("receipt") if isinstance(body, dict) else None
    return f"receipt:{receipt}" if isinstance(receipt, str) else "receipt:?"


async def customer_rate_limit(request: Request):
    """Customer routes (receipt + email): each request counts as an attempt against its
    address and its receipt/ticket before it runs (429 over the limit); one that does not
    end in "not found" gives its attempt back."""
    if not request.url.path.startswith(CUSTOMER_PREFIX):
        yield
        return
    engine = get_engine()
    address, subject = client_address(request), await _customer_subject(request)

    def reserve() -> list[str]:   # the clock too is read in the thread: the stored test clock reads the database
        return ratelimit.reserve(engine, address=address, subject=subject, now=get_clock().now())

    keys = await run_in_threadpool(reserve)
    try:
        yield
    except NotFound:
        raise
    except BaseException:
        await run_in_threadpool(ratelimit.release, engine, keys)
        raise
    await run_in_threadpool(ratelimit.release, engine, keys)
