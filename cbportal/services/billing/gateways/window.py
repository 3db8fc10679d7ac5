"""The gateway-call window: at most N gateway calls in flight per worker process
(`CBPORTAL_GATEWAY_WINDOW`, default 32), their answers recorded as they arrive.

A worker records each attempt (with its idempotency key) and commits it *before*
handing the call to the window (money truth: services/billing/refunds.py, services/billing/charges.py).
`Calls.submit` hands one call to a pool of daemon threads; when the window is full it
waits, recording the answers that came back meanwhile. Answers are recorded by the
thread that submitted (one writer per lane, no transaction held during any call), in
groups of whatever has arrived (once GROUP have, when the window is full, or at `drain`):
`record(list of (item, answer))` in one transaction. `drain` waits for every call and
records the rest.

A call that raises `Exception` gives the answer None (no answer: looked up later, never
sent blindly again). Anything else (`SystemExit`, a crash in a test) is re-raised in the
submitting thread as soon as it arrives, like a worker dying with calls in flight: the
attempts stay pending and the next worker looks them up after their lease.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.Lock()
GROUP = 16  # answers recorded in one transaction while submitting (all that arrived, when waiting)
_POOL: _Pool | None = None


class _Pool:
    """`size` daemon threads (a stopping worker never waits for a hanging call) and the
    semaphore that is the process's window."""

    def __init__(self, size: int):
        self.size = size
        self.slots = threading.BoundedSemaphore(size)
        self.tasks: queue.SimpleQueue = queue.SimpleQueue()
        for n in range(size):
            threading.Thread(target=self._run, name=f"cbportal-gateway-{n}", daemon=True).start()

    def _run(self) -> None:
        while True:
            fn, item, answers = self.tasks.get()
            try:
                answer: Any = fn()
            except Exception:  # timeout, connection lost: no answer, look it up later
                answer = None
            except BaseException as crash:  # noqa: BLE001 - handed to the submitting thread
                answer = _Crash(crash)
            finally:
                self.slots.release()
            answers.put((item, answer))


class _Crash:
    def __init__(self, error: BaseException):
        self.error = error


def window_size() -> int:
    from cbportal.settings import get_settings

    return get_settings().gateway_window


def pool() -> _Pool:
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = _Pool(window_size())
        return _POOL


class Calls:
    """One lane's calls through the process window; `record` gets lists of (item, answer)."""

    def __init__(self, record: Callable[[list[tuple[Any, Any]]], None]):
        self.record = record
        self.pool = pool()
        self.answers: queue.SimpleQueue = queue.SimpleQueue()
        self.in_flight = 0

    def submit(self, item: Any, fn: Callable[[], Any]) -> None:
        while not self.pool.slots.acquire(timeout=0.01 if self.in_flight else 0.05):
            self.collect(wait=self.in_flight > 0, timeout=0.05)
        self.in_flight += 1
        self.pool.tasks.put((fn, item, self.answers))
        if self.answers.qsize() >= GROUP:  # enough answers for one transaction: record them now
            self.collect(wait=False)

    def collect(self, *, wait: bool, timeout: float | None = None) -> int:
        """Record the answers that have arrived (waiting for one first if `wait`)."""
        got = []
        try:
            if wait:
                got.append(self.answers.get(timeout=timeout))
            while True:
                got.append(self.answers.get_nowait())
        except queue.Empty:
            pass
        if not got:
            return 0
        self.in_flight -= len(got)
        crashes = [answer for _, answer in got if isinstance(answer, _Crash)]
        if crashes:
            raise crashes[0].error
        self.record(got)
        return len(got)

    def drain(self) -> None:
        while self.in_flight:
            self.collect(wait=True)
