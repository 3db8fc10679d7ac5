"""What a source of due work is (`DueSource`): how to find its next due instant, how to
run everything due by an instant, and the worker lane it runs in. The list of sources is
`services/engine/due_work.py`; the loop that runs them is `services/engine/worker.py`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session


@dataclass(frozen=True)
class DueSource:
    name: str
    next_due: Callable[[Session], datetime | None]
    run_due: Callable[[Engine, datetime], int]
    lane: str = ""   # the worker lane (its own loop and thread); "" = a lane named after the source

    @property
    def lane_name(self) -> str:
        return self.lane or self.name


_STOPPING: list[threading.Event] = []  # the `stopping` events of the worker loops running in this process


def stopping() -> bool:
    """True once a worker loop of this process is stopping: long deliveries stop claiming
    new rows and finish what they have in flight (services/delivery/fanout.py)."""
    return any(event.is_set() for event in _STOPPING)


def watch_stopping(event: threading.Event) -> None:
    _STOPPING.append(event)


def unwatch_stopping(event: threading.Event) -> None:
    if event in _STOPPING:
        _STOPPING.remove(event)


_PASS = threading.local()


def live_clock():
    """The clock of the worker loop running this pass (None outside one: the test clock's
    advance and direct calls run as of the `now` they are given). Deliveries stamp
    `sent_at` and look for newly due rows with it."""
    return getattr(_PASS, "clock", None)


def set_live_clock(clock) -> None:
    _PASS.clock = clock


class WorkerStopping(Exception):
    """The worker is stopping: no new transaction is started."""
