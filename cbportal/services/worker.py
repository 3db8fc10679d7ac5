"""The worker: runs due work (timers stored as data) and the test clock (RULES R2).

Each area registers a `DueSource`: how to find its next due instant and how to run
everything due by an instant. Sources claim rows with compare-and-set updates (and
`FOR UPDATE SKIP LOCKED` on PostgreSQL where they lock), so any number of workers
can run. Work due at T is run "as of T": in test mode the clock is moved to each
due instant in turn, so timers computed from it are exact.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from cbportal.services import mail
from cbportal.services.clock import StoredClock

log = logging.getLogger("cbportal.worker")
MAX_SLEEP = 1.0


@dataclass(frozen=True)
class DueSource:
    name: str
    next_due: Callable[[Session], datetime | None]
    run_due: Callable[[Engine, datetime], int]


SOURCES: list[DueSource] = [
    DueSource("email", mail.next_due, lambda engine, now: mail.deliver_due(engine, now=now)),
]


def register(source: DueSource) -> None:
    """Areas add their timers here (tickets, rebills, dunning, INS...)."""
    if all(s.name != source.name for s in SOURCES):
        SOURCES.insert(len(SOURCES) - 1, source)  # email last: it sends what the others wrote


def all_sources() -> list[DueSource]:
    """Every registered source; importing the areas registers them."""
    import cbportal.services.billing  # noqa: F401
    import cbportal.services.ins_worker  # noqa: F401
    import cbportal.services.ticket_processing  # noqa: F401

    return SOURCES


def next_due(engine: Engine, sources: list[DueSource] | None = None) -> datetime | None:
    with Session(engine) as session:
        dues = [d for s in (sources or all_sources()) if (d := s.next_due(session)) is not None]
    return min(dues) if dues else None


def run_due(engine: Engine, now: datetime, sources: list[DueSource] | None = None) -> int:
    """Run everything due by `now`, source by source; returns how many items were done."""
    done = 0
    for source in sources or all_sources():
        try:
            done += source.run_due(engine, now)
        except Exception:  # one failing area must not stop the others
            log.exception("due work %s failed", source.name)
    return done


def advance_test_clock(engine: Engine, to: datetime, sources: list[DueSource] | None = None) -> int:
    """Move the stored test clock forward to `to`, stopping at every due instant on the
    way and running what is due there, in time order (R2). Returns items processed."""
    processed = 0
    clock = StoredClock(engine)
    if to < clock.now():
        from cbportal.services.clock import ClockMovedBackwards

        raise ClockMovedBackwards(f"the test clock is at {clock.now().isoformat()}; it only moves forward")
    while True:
        due = next_due(engine, sources)
        if due is None or due > to:
            break
        instant = max(due, clock.now())
        with Session(engine) as session:
            StoredClock.move(session, instant)
            session.commit()
        count = run_due(engine, instant, sources)
        processed += count
        if count == 0 and next_due(engine, sources) == due:
            break  # nothing could be done at that instant (e.g. a failing delivery): avoid spinning
    with Session(engine) as session:
        StoredClock.move(session, to)
        session.commit()
    return processed


async def run_forever(engine: Engine, clock, *, stop: asyncio.Event | None = None) -> None:
    """The worker loop: run what is due, then sleep until the next due instant (at most 1 s,
    so work written by another process is picked up within a second)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            now = clock.now()
            await asyncio.to_thread(run_due, engine, now)
            due = await asyncio.to_thread(next_due, engine)
            wait = MAX_SLEEP if due is None else min(MAX_SLEEP, max(0.0, (due - clock.now()).total_seconds()))
        except Exception:
            log.exception("worker loop failed; retrying")
            wait = MAX_SLEEP
        try:
            await asyncio.wait_for(stop.wait(), timeout=wait or 0.01)
        except asyncio.TimeoutError:
            pass
