"""One change watcher per app process (`ChangeWatcher`): it reads the change feed
(services/changes) ten times a second and wakes the live pages of the accounts that
changed. A change made by another app process or by the worker reaches it the same way:
through the database. `SharedFigures` holds what is read once per account change in a
process and handed to every open page of those accounts. Plain asyncio and threads, no
Reflex (state/live_feed.py wires it to the pages).

Ids of rows committed late (a transaction that took its id before a faster one committed)
are caught by re-reading the last `settle_seconds` of ids and skipping the ones seen."""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from sqlalchemy.engine import Engine

from cbportal.db import get_engine, reader
from cbportal.services.core import changes

log = logging.getLogger("cbportal.state.live_feed")


class ChangeWatcher:
    def __init__(self, engine: Callable[[], Engine] = get_engine, *, poll_seconds: float = 0.1,
                 settle_seconds: float = 10.0):
        self._engine = engine
        self.poll_seconds = poll_seconds
        self.settle_seconds = settle_seconds
        self._versions: collections.Counter[int] = collections.Counter()
        self._seen: dict[int, float] = {}
        self._marks: collections.deque[tuple[float, int]] = collections.deque()
        self._low = self._high = 0
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self.figures = SharedFigures(self)      # per-account summaries and saved-sales figures
        self.pages = SharedFigures(self)        # ticket pages, by the accounts, filter and size

    @property
    def running(self) -> bool:
        """Whether the feed is being read (versions move when accounts change)."""
        return self._task is not None and not self._task.done()

    def version(self, account_ids: Iterable[int]) -> int:
        """A number that grows whenever one of these accounts changes."""
        return sum(self._versions[a] for a in account_ids)

    async def wait_changed(self, account_ids: list[int], seen: int, timeout: float) -> bool:
        """Wait until one of the accounts changes after version `seen`; False on timeout."""
        await self.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.version(account_ids) == seen:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                return False
        return True

    async def start(self) -> None:
        """Start reading the feed (once per process); changes committed from now on count."""
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:                 # two dashboards opening at once start one reader
            if self._task is None or self._task.done():
                self._wake = asyncio.Event()
                self._low = self._high = await asyncio.to_thread(self._latest)
                self._task = asyncio.create_task(self._run())

    def _latest(self) -> int:
        with reader(self._engine()) as session:
            return changes.latest_id(session)

    def _read(self, after: int) -> list[tuple[int, int]]:
        with reader(self._engine()) as session:
            return changes.account_changes_after(session, after)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                rows = await asyncio.to_thread(self._read, self._low)
            except Exception:  # the database is briefly away: try again on the next tick
                log.exception("reading the change feed failed")
                continue
            self._take(rows, time.monotonic())

    def _take(self, rows: list[tuple[int, int]], now: float) -> None:
        fresh = [(audit_id, account_id) for audit_id, account_id in rows if audit_id not in self._seen]
        for audit_id, account_id in fresh:
            self._seen[audit_id] = now
            self._versions[account_id] += 1
            self._high = max(self._high, audit_id)
        self._marks.append((now, self._high))
        settled = self._low
        while self._marks and self._marks[0][0] < now - self.settle_seconds:
            settled = max(settled, self._marks.popleft()[1])
        if settled != self._low:
            self._low = settled
            self._seen = {i: t for i, t in self._seen.items() if i > settled}
        if fresh and self._wake is not None:
            wake, self._wake = self._wake, asyncio.Event()
            wake.set()


class SharedFigures:
    """Figures of this process (an account's summary, its saved sales, a ticket page),
    computed once per change of their accounts (the watcher's version) and shared by every
    open page of those accounts. Time-dependent counts ("due in 24 h") are read again after
    `MAX_AGE_SECONDS` anyway."""

    MAX_AGE_SECONDS = 30.0
    MAX_ENTRIES = 5_000             # a bound (searches make new keys): old entries go first

    def __init__(self, feed: ChangeWatcher):
        self._feed = feed
        self._entries: dict[Hashable, tuple[int, float, Any]] = {}
        self._lock = threading.Lock()
        self.reads = 0                  # computations done: for tests and benchmarks

    def get(self, kind: str, account_id: int, compute: Callable[[], Any], fresh: bool = False) -> Any:
        """The figure `kind` of the account; `compute()` runs only when the account changed
        since the last computation (or it is too old, or `fresh` asks for a new read)."""
        return self.shared((kind, account_id), (account_id,), compute, fresh)

    def shared(self, key: Hashable, account_ids: Iterable[int], compute: Callable[[], Any],
               fresh: bool = False) -> Any:
        """The value under `key`, which depends on these accounts only; `compute()` runs when
        one of them changed since the last computation (or as for `get`)."""
        with self._lock:                # pages refreshing at once: the first reads, the others share
            version, now = self._feed.version(account_ids), time.monotonic()
            entry = self._entries.get(key)
            if not fresh and entry and entry[0] == version and entry[1] > now - self.MAX_AGE_SECONDS:
                return entry[2]
            value = compute()
            self.reads += 1
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries = {k: e for k, e in self._entries.items() if e[1] > now - self.MAX_AGE_SECONDS}
                while len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (version, now, value)
            return value
