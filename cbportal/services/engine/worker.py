"""The worker: runs due work (timers stored as data) and the test clock (RULES R2).

The sources (`DueSource`: how to find the next due instant, how to run everything due
by an instant, and the lane) are listed in `services/engine/due_work.py`; nothing registers
itself. Each lane is a loop of its own (refunds and tickets, rebills and dunning, email,
INS), so a slow lane never delays another; a lane wakes on NOTIFY on PostgreSQL
(`services/engine/wakeup.py`) and polls SQLite every 0.25 s. Sources claim rows with
compare-and-set updates (and `FOR UPDATE SKIP LOCKED` on PostgreSQL where they lock), so
any number of workers can run. Work due at T is run "as of T": in test mode the clock is moved to each
due instant in turn, so timers computed from it are exact.

Operating it: a failing source logs one line when it starts failing and one when it
recovers (`FailureGate`), and the loop backs off from it (1 s doubling to 30 s) meanwhile.
Passes run in a daemon thread, so stopping never waits on a blocked database call:
`run_forever` returns within `STOP_GRACE + HALT_GRACE` seconds of `stop`, having let the
current pass finish what it can, then refused new transactions (`WorkerStopping`); a
transaction cut off by the process exiting is rolled back by the database, and claims
are compare-and-set with leases, so nothing is lost or done twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, event
from sqlmodel import Session

from cbportal.services.core.clock import StoredClock
from cbportal.services.engine import due, due_work
from cbportal.services.engine.due import DueSource, WorkerStopping

log = logging.getLogger("cbportal.worker")
MAX_SLEEP = 1.0    # a lane looks again at least this often (PostgreSQL, besides NOTIFY)
SQLITE_POLL = 0.25  # and this often on SQLite, which has no NOTIFY
STOP_GRACE = 2.5   # seconds the current pass may go on finishing its work after `stop`
HALT_GRACE = 1.0   # then new transactions are refused; this long for the open ones to end
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0


@dataclass
class _Failing:
    since: float
    failures: int = 1
    retry_at: float = 0.0


@dataclass
class FailureGate:
    """One log line when a source starts failing and one when it recovers, instead of a
    traceback per pass; with `backoff`, a failing source is skipped until its retry time
    (1 s, doubling up to 30 s). `advance_test_clock` uses no backoff (it must stop at
    every due instant), the worker loop does."""
    backoff: bool = False
    failing: dict[str, _Failing] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # lanes share one gate

    def ready(self, name: str, mono: float | None = None) -> bool:
        state = self.failing.get(name)
        return not (self.backoff and state and (mono or time.monotonic()) < state.retry_at)

    def failed(self, name: str, error: BaseException, mono: float | None = None) -> None:
        with self.lock:
            self._failed(name, error, mono)

    def _failed(self, name: str, error: BaseException, mono: float | None = None) -> None:
        mono = mono or time.monotonic()
        state = self.failing.get(name)
        if state is None:
            state = self.failing[name] = _Failing(since=mono)
            log.error("due work %s is failing: %s; retrying with backoff, one line when it recovers",
                      name, _describe(error), exc_info=error,
                      extra={"event": "worker.source_failing", "source": name})
        else:
            state.failures += 1
        state.retry_at = mono + min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (state.failures - 1))

    def succeeded(self, name: str, mono: float | None = None) -> None:
        with self.lock:
            state = self.failing.pop(name, None)
        if state is not None:
            seconds = round((mono or time.monotonic()) - state.since, 1)
            log.warning("due work %s recovered after %d failed tries over %s s", name, state.failures, seconds,
                        extra={"event": "worker.source_recovered", "source": name, "failures": state.failures,
                               "failing_seconds": seconds})

    def delay(self, name: str, mono: float | None = None) -> float:
        state = self.failing.get(name)
        return max(0.0, state.retry_at - (mono or time.monotonic())) if state else 0.0


def _describe(error: BaseException) -> str:
    text = str(error).split("\n", 1)[0]
    return f"{type(error).__name__}: {text[:300]}"


_GATE = FailureGate()  # the log-only gate of direct `run_due` calls (test clock, tools)


SOURCES: list[DueSource] = due_work.SOURCES  # the explicit list (services/engine/due_work.py)


def all_sources() -> list[DueSource]:
    """Every source of due work (services/engine/due_work.py lists them; nothing registers itself)."""
    return SOURCES


def next_due(engine: Engine, sources: list[DueSource] | None = None) -> datetime | None:
    with Session(engine) as session:
        dues = [d for s in (sources or all_sources()) if (d := s.next_due(session)) is not None]
    return min(dues) if dues else None


def run_due(engine: Engine, now: datetime, sources: list[DueSource] | None = None, *,
            gate: FailureGate | None = None, stopping: threading.Event | None = None) -> int:
    """Run everything due by `now`, source by source; returns how many items were done.
    A failing source does not stop the others; `gate` rate-limits its log lines (and backs
    off from it); `stopping` ends the pass before the next source."""
    from cbportal.ops import metrics

    gate = gate or _GATE
    done = 0
    for source in sources or all_sources():
        if stopping is not None and stopping.is_set():
            break
        if not gate.ready(source.name):
            continue
        started = time.perf_counter()
        try:
            count = source.run_due(engine, now)
        except WorkerStopping:
            break
        except Exception as error:  # one failing area must not stop the others
            metrics.WORKER_FAILED.labels(source.name).inc()
            gate.failed(source.name, error)
            continue
        done += count
        gate.succeeded(source.name)
        metrics.WORKER_PROCESSED.labels(source.name).inc(count)
        if count:
            log.info("due work %s: %d done", source.name, count,
                     extra={"event": "worker.pass", "source": source.name, "count": count,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    return done


def advance_test_clock(engine: Engine, to: datetime, sources: list[DueSource] | None = None) -> int:
    """Move the stored test clock forward to `to`, stopping at every due instant on the
    way and running what is due there, in time order (R2). Returns items processed."""
    processed = 0
    clock = StoredClock(engine)
    if to < clock.now():
        from cbportal.services.core.clock import ClockMovedBackwards

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


def _halting(engine: Engine, halt: threading.Event) -> Engine:
    """The same engine (same pool), refusing to begin a transaction once `halt` is set."""
    worker_engine = engine.execution_options(cbportal_worker=True)

    @event.listens_for(worker_engine, "begin")
    def _refuse(_conn):
        if halt.is_set():
            raise WorkerStopping("the worker is stopping")

    return worker_engine


async def _in_daemon_thread(fn, *args, **kwargs):
    """Run `fn` in a daemon thread: unlike `asyncio.to_thread`, the event loop's shutdown
    never waits for it (a pass blocked on a locked database must not hold up SIGTERM)."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def hand_over(settle) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: the pass was abandoned at shutdown
            loop.call_soon_threadsafe(settle)

    def run():
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting coroutine
            hand_over(lambda error=error: future.done() or future.set_exception(error))
        else:
            hand_over(lambda: future.done() or future.set_result(result))

    threading.Thread(target=run, name="cbportal-worker-pass", daemon=True).start()
    return await future


def lanes_of(sources: list[DueSource]) -> dict[str, list[DueSource]]:
    """The sources grouped by lane, in list order."""
    lanes: dict[str, list[DueSource]] = {}
    for source in sources:
        lanes.setdefault(source.lane_name, []).append(source)
    return lanes


def _one_pass(engine: Engine, clock, gate: FailureGate, stopping: threading.Event,
              sources: list[DueSource], poll: float) -> float:
    """Run what is due in one lane and say how long to sleep before its next pass."""
    from cbportal.ops import heartbeat

    due.set_live_clock(clock)      # this thread runs the live loop's passes (deliveries stamp with it)
    heartbeat.beat_if_due(engine)  # any lane beats (at most every few seconds per process)
    run_due(engine, clock.now(), sources, gate=gate, stopping=stopping)
    try:
        first = next_due(engine, sources)
    except WorkerStopping:
        return 0.0
    except Exception as error:
        gate.failed("worker", error)
        return max(MAX_SLEEP, gate.delay("worker"))
    gate.succeeded("worker")
    if first is None:
        return poll
    return min(poll, max(0.0, (first - clock.now()).total_seconds()))


async def _lane(name: str, sources: list[DueSource], engine: Engine, clock, gate: FailureGate, *,
                stop: asyncio.Event, wake: asyncio.Event, stopping: threading.Event, halt: threading.Event,
                stop_grace: float, halt_grace: float, poll: float) -> None:
    """One lane's loop: a pass in a daemon thread, then sleep until its next due instant,
    `poll` at most, or until woken (NOTIFY) or stopped."""
    while not stop.is_set():
        wake.clear()
        current = asyncio.ensure_future(_in_daemon_thread(_one_pass, engine, clock, gate, stopping, sources, poll))
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({current, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not current.done():  # stop came during a pass: let it finish, then cut it short
            stopping.set()
            await asyncio.wait({current}, timeout=stop_grace)
            if not current.done():
                halt.set()
                await asyncio.wait({current}, timeout=halt_grace)
            if not current.done():
                log.warning("worker stopped with a pass still running; its open transaction is rolled back",
                            extra={"event": "worker.abandoned_pass", "lane": name})
                current.add_done_callback(lambda f: f.cancelled() or f.exception())
            break
        try:
            wait = current.result()
        except Exception as error:  # heartbeat or something unforeseen: keep the loop alive
            gate.failed("worker", error)
            wait = max(MAX_SLEEP, gate.delay("worker"))
        woken = asyncio.ensure_future(wake.wait())
        await asyncio.wait({stopper, woken}, timeout=wait or 0.01, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        woken.cancel()


async def run_forever(engine: Engine, clock, *, stop: asyncio.Event | None = None,
                      sources: list[DueSource] | None = None, stop_grace: float = STOP_GRACE,
                      halt_grace: float = HALT_GRACE) -> None:
    """The worker: one loop per lane (services/engine/due_work.py), each running what is due, then
    sleeping until its next due instant. On PostgreSQL a lane is woken at once when due
    work of its tables is committed (LISTEN/NOTIFY, migration 0012) and otherwise looks
    again every second; on SQLite it polls every 0.25 s. After `stop` it returns within
    `stop_grace + halt_grace` seconds (see the module docstring); the app passes shorter
    ones, its web server needs the rest of the 5 s."""
    from cbportal.services.engine import wakeup

    stop = stop or asyncio.Event()
    stopping, halt = threading.Event(), threading.Event()
    due.watch_stopping(stopping)
    worker_engine = _halting(engine, halt)
    gate = FailureGate(backoff=True)
    lanes = lanes_of(sources or all_sources())
    wakes = {name: asyncio.Event() for name in lanes}
    listener = wakeup.listen(engine, asyncio.get_running_loop(), wakes)
    poll = MAX_SLEEP if listener is not None else SQLITE_POLL
    log.info("worker started", extra={"event": "worker.started", "lanes": list(lanes)})
    try:
        await asyncio.gather(*(
            _lane(name, lane_sources, worker_engine, clock, gate, stop=stop, wake=wakes[name], stopping=stopping,
                  halt=halt, stop_grace=stop_grace, halt_grace=halt_grace, poll=poll)
            for name, lane_sources in lanes.items()))
    finally:
        halt.set()
        due.unwatch_stopping(stopping)
        if listener is not None:
            listener.close()
    log.info("worker stopped", extra={"event": "worker.stopped"})


def next_due_sources(engine: Engine, sources: list[DueSource] | None = None) -> tuple[datetime | None, list[str]]:
    """The earliest due instant of any source, and the names of the sources due then
    (the test clock's "advance to the next event" says what kind of work it reached)."""
    with Session(engine) as session:
        dues = [(d, s.name) for s in (sources or all_sources()) if (d := s.next_due(session)) is not None]
    if not dues:
        return None, []
    first = min(d for d, _ in dues)
    return first, [name for d, name in dues if d == first]
