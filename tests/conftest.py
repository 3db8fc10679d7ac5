"""Shared fixtures: databases migrated by Alembic (SQLite always; PostgreSQL when
reachable, and always under CI, where a missing server fails), a fixed clock."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from cbportal.db import make_engine
from cbportal.migrations import upgrade
from cbportal.services.core.clock import FixedClock
from tests.localstripe import localstripe  # noqa: F401  (fixture: a localstripe server for the module)

PG_ADMIN_URL = os.environ.get("CBPORTAL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def backends() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    if IN_CI or "CBPORTAL_TEST_POSTGRES_URL" in os.environ or postgres_reachable():
        params.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))
    return params


@pytest.fixture(scope="session")
def postgres_database():
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    if not postgres_reachable():
        if IN_CI or "CBPORTAL_TEST_POSTGRES_URL" in os.environ:
            pytest.fail(f"PostgreSQL is required here but not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    name = f"cbportal_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrated_engine(request, tmp_path_factory, backend):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
    upgrade(url)
    return make_engine(url)


@pytest.fixture(scope="session")
def _engines():
    return {}


@pytest.fixture(params=backends())
def engine(request, tmp_path_factory, _engines):
    """A migrated database (one per backend per run), emptied before each test."""
    backend = request.param
    if backend not in _engines:
        _engines[backend] = _migrated_engine(request, tmp_path_factory, backend)
    eng = _engines[backend]
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    return eng


@pytest.fixture
def session(engine):
    """The test's own session. On SQLite it begins deferred, so a test that reads after a
    commit does not hold the write lock the worker under test needs."""
    with Session(engine.execution_options(cbportal_deferred=True)) as s:
        yield s


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 1, 7, 15, 0, tzinfo=UTC))  # a Wednesday


@pytest.fixture
def ins_private(monkeypatch):
    """Set CBPORTAL_INS_ALLOW_PRIVATE (loopback INS receivers in tests); `ins_private(False)`
    turns it off again. The settings cache is cleared on both sides."""
    from cbportal.settings import get_settings

    def set_to(allowed: bool = True) -> None:
        monkeypatch.setenv("CBPORTAL_INS_ALLOW_PRIVATE", "1" if allowed else "0")
        get_settings.cache_clear()

    set_to(True)
    yield set_to
    monkeypatch.delenv("CBPORTAL_INS_ALLOW_PRIVATE")
    get_settings.cache_clear()
