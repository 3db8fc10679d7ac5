"""Engine and sessions: our own, from `DATABASE_URL` (not rx.Model).

SQLite gets WAL, foreign keys and a busy timeout so the app, the worker and the
tests can share one file; PostgreSQL gets a pre-pinging pool.

Pools hold enough connections for the API's 40 route threads: past the pool's size every
request opened (and SQLite ran its pragmas on) a connection of its own, which cost a third
of a `GET /orders/{receipt}` at 20 concurrent clients (benchmarks/bench_api.py).
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

SQLITE_POOL = {"pool_size": 40, "max_overflow": 20}      # a connection is a file handle and a cache
POSTGRES_POOL = {"pool_size": 10, "max_overflow": 10}    # a server process each: 20 at most per app process


def make_engine(url: str, **kw) -> Engine:
    pooled = "poolclass" not in kw
    if url.startswith("sqlite"):
        if pooled and ":memory:" not in url and url.rstrip("/") != "sqlite:":
            kw = {**SQLITE_POOL, **kw}
        path = url.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE: one writer at a time, taken at BEGIN, so read-then-write
            # transactions never fail on lock upgrade (SQLite's stand-in for row
            # locks). Read-only sessions (`reader`) begin deferred and never wait.
            if conn.get_execution_options().get("cbportal_deferred"):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **({**POSTGRES_POOL, **kw} if pooled else kw))


_engine_override: Engine | None = None


@lru_cache(maxsize=1)
def _settings_engine() -> Engine:
    from cbportal.settings import get_settings

    return make_engine(get_settings().database_url)


def get_engine() -> Engine:
    """The process's engine (from DATABASE_URL), or the one a test put in place."""
    return _engine_override or _settings_engine()


def use_engine(engine: Engine | None) -> None:
    """Point this process at another engine (tests, tools); None goes back to DATABASE_URL."""
    global _engine_override
    _engine_override = engine


_DEFERRED: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_ONE_READ: ContextVar[dict | None] = ContextVar("cbportal_one_read", default=None)


class _Borrowed:
    """`with reader(engine) as session` inside `one_read()`: the block's session, left open."""

    def __init__(self, session: Session):
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *_exc) -> None:
        return None


def reader(engine: Engine) -> Session:
    """A session for reads only: on SQLite it does not take the write lock. Inside
    `one_read()`, every reader of the engine is the same session."""
    deferred = _DEFERRED.get(engine)
    if deferred is None:   # made once per engine: building it cost ~8 % of a small API read
        deferred = _DEFERRED[engine] = engine.execution_options(cbportal_deferred=True)
    shared = _ONE_READ.get()
    if shared is None:
        return Session(deferred)
    if engine not in shared:
        shared[engine] = Session(deferred)
    return _Borrowed(shared[engine])


@contextmanager
def one_read():
    """Readers opened in this block share one session (one pool checkout, one transaction):
    a live page's session check and its refresh in one round of the database, not two."""
    token = _ONE_READ.set({})
    try:
        yield
    finally:
        opened = _ONE_READ.get() or {}
        _ONE_READ.reset(token)
        for session in opened.values():
            session.close()


@contextmanager
def session_scope(engine: Engine | None = None):
    """A session whose transaction commits on success and rolls back on error."""
    with Session(engine or get_engine()) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
