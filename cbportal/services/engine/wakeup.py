"""Waking the worker's lanes when due work is written (issue 12 point 4), PostgreSQL only.

Triggers (migration 0012) send `NOTIFY cbportal_due, '<table>'` at commit; one listener
thread per worker process (its own connection, outside the pool) hears them and sets the
wake event of every lane whose sources read that table. A lost connection is re-opened
after a second; meanwhile the lanes still look every second. SQLite has no NOTIFY:
`listen` returns None and the lanes poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from sqlalchemy import Engine

log = logging.getLogger("cbportal.worker")
CHANNEL = "cbportal_due"
# table -> the lanes (services/engine/due_work.py) whose sources read it
READERS = {
    "ticket": {"tickets"}, "payment_attempt": {"tickets", "billing"}, "subscription": {"billing"},
    "email_outbox": {"email"}, "ins_outbox": {"ins"},
}


def _conninfo(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    def __init__(self, conninfo: str, wake):
        self.conninfo, self.wake = conninfo, wake
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, name="cbportal-worker-listen", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg

        while not self.closed.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.wake(None)  # anything written while we were not listening
                    while not self.closed.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.wake(note.payload)
            except Exception as error:  # noqa: BLE001 - the lanes still poll; try again shortly
                log.debug("worker listener: %s", type(error).__name__)
                self.closed.wait(1.0)

    def close(self) -> None:
        self.closed.set()


def listen(engine: Engine, loop: asyncio.AbstractEventLoop, wakes: dict[str, asyncio.Event]):
    """Start the listener that sets the lanes' `wakes`; None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None

    def lanes_reading(table: str | None) -> list[str]:
        readers = READERS.get(table or "")
        if readers is None:  # the test clock moved, or unknown: every lane looks
            return list(wakes)
        return [lane for lane in wakes if lane in readers]

    def wake(table: str | None) -> None:
        names = lanes_reading(table)
        with contextlib.suppress(RuntimeError):  # the loop is gone
            loop.call_soon_threadsafe(lambda: [wakes[n].set() for n in names])

    return Listener(_conninfo(engine), wake)
