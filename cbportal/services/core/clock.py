"""The application's one clock (RULES R2).

Services, the worker and pages ask `clock.now()`; nothing else reads the wall clock.
`SystemClock` is the default; `FixedClock` is for unit tests; in test mode the
stored test clock (`StoredClock`, table `test_clock`) only moves forward, and
`services.worker.advance_test_clock` moves it while running due work in order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from cbportal.models import TestClock

TEST_CLOCK_START = datetime(2026, 1, 5, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told; moves only when asked (unit tests)."""

    def __init__(self, now: datetime):
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now


class ClockMovedBackwards(ValueError):
    pass


class StoredClock:
    """The test clock kept in the database, so every process sees the same time."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def now(self) -> datetime:
        from cbportal.db import reader

        with reader(self.engine) as session:
            row = session.get(TestClock, 1)
            return row.now if row else TEST_CLOCK_START

    @staticmethod
    def move(session: Session, to: datetime) -> None:
        """Set the stored clock forward in the caller's transaction; never backwards."""
        row = session.get(TestClock, 1, with_for_update=True)
        if row is None:
            session.add(TestClock(id=1, now=to))
            return
        if to < row.now:
            raise ClockMovedBackwards(f"the test clock is at {row.now.isoformat()}; it only moves forward")
        row.now = to
        session.add(row)


_clock_override: Clock | None = None


def get_clock() -> Clock:
    """The clock of this process: the stored test clock in test mode, else the system clock."""
    if _clock_override is not None:
        return _clock_override
    from cbportal.db import get_engine
    from cbportal.settings import get_settings

    return StoredClock(get_engine()) if get_settings().test_mode else SystemClock()


def use_clock(clock: Clock | None) -> None:
    """Put another clock in place for this process (tests); None restores the default."""
    global _clock_override
    _clock_override = clock
