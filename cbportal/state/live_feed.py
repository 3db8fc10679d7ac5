"""One change watcher per app process. It reads the change feed (services/changes) four
times a second and wakes the live dashboards of the accounts that changed. A change made
by another app process or by the worker reaches it the same way: through the database.
Per-account figures (`SharedFigures`) are read once per account change in a process and
handed to every open page of that account. `LivePage` declares what `follow` needs of a page.

Ids of rows committed late (a transaction that took its id before a faster one committed)
are caught by re-reading the last `settle_seconds` of ids and skipping the ones seen."""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import reflex as rx
from sqlalchemy.engine import Engine

from cbportal.db import get_engine, reader
from cbportal.services.core import changes
from cbportal.services.core.errors import ServiceError
from cbportal.state.session import sentence

log = logging.getLogger(__name__)


class ChangeWatcher:
    def __init__(self, engine: Callable[[], Engine] = get_engine, *, poll_seconds: float = 0.25,
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
        self.figures = SharedFigures(self)

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
    """Per-account figures (summaries, saved sales) of this process, computed once per change
    of the account (the watcher's version) and shared by every open page of that account.
    Time-dependent counts ("due in 24 h") are read again after `MAX_AGE_SECONDS` anyway."""

    MAX_AGE_SECONDS = 30.0

    def __init__(self, feed: ChangeWatcher):
        self._feed = feed
        self._entries: dict[tuple[str, int], tuple[int, float, Any]] = {}
        self._lock = threading.Lock()
        self.reads = 0                  # computations done: for tests and benchmarks

    def get(self, kind: str, account_id: int, compute: Callable[[], Any], fresh: bool = False) -> Any:
        """The figure `kind` of the account; `compute()` runs only when the account changed
        since the last computation (or it is too old, or `fresh` asks for a new read)."""
        with self._lock:                # pages refreshing at once: the first reads, the others share
            version, now = self._feed._versions[account_id], time.monotonic()
            entry = self._entries.get((kind, account_id))
            if not fresh and entry and entry[0] == version and entry[1] > now - self.MAX_AGE_SECONDS:
                return entry[2]
            value = compute()
            self.reads += 1
            self._entries[(kind, account_id)] = (version, now, value)
            return value


class LivePage(rx.State, mixin=True):
    """What `follow` needs of a live page: these vars, the signed-in user (`_actor()`, from
    SessionState) and a refresh method. Mix it into the page state."""

    live: bool = False              # the page follows changes (shown as "live")
    watch_id: str = ""              # the current follower's id; changing it stops the old one
    error: str = ""                 # a refused refresh says why here
    _watcher_for: str = ""          # the watch_id a follower already runs for
    _account_ids: list[int] = []    # the accounts whose changes refresh the page


_watcher: ChangeWatcher | None = None

WAKE_SECONDS = 20          # how often an idle page checks that its browser is still there
GONE_SECONDS = 60          # a browser away this long (no reconnect) ends its follower
COALESCE_SECONDS = 0.2     # at most five refreshes a second while the worker is busy
MISSED_CHECK_SECONDS = 1.0  # a page that missed a change while its browser was away checks this often


def watcher() -> ChangeWatcher:
    """This process's watcher (made on first use, inside the server's event loop)."""
    global _watcher
    if _watcher is None:
        _watcher = ChangeWatcher()
    return _watcher


async def _browser_connected(token: str) -> bool:
    """Whether the browser's socket is still open on any app process (Reflex's token manager)."""
    try:
        from reflex.utils.prerequisites import get_app

        return await get_app().app.event_namespace._token_manager.is_token_connected(token)
    except Exception:  # noqa: BLE001 - if Reflex cannot tell, keep following; the next wake asks again
        return True


async def follow(state, refresh: Callable) -> None:
    """The body of a live page's background task: refresh the page whenever one of its
    accounts (`state._account_ids`) changes, until the page stops (`watch_id` changes),
    the user is no longer signed in, or the browser has left (changes while it is away
    are not read for it). The page state has the vars of `LivePage` and `refresh(actor)`."""
    async with state:
        if not state.watch_id or state._watcher_for == state.watch_id or state._actor() is None:
            return                                  # not signed in, or this page already has a follower
        mine, state._watcher_for, state.live = state.watch_id, state.watch_id, True
        token = state.router.session.client_token
    feed = watcher()
    await feed.start()
    loop = asyncio.get_running_loop()
    seen, changed, missed, away_since = None, True, False, None   # one refresh first: nothing is lost
    while True:
        async with state:
            if state.watch_id != mine:
                return
            account_ids = list(state._account_ids)
        if seen is not None:
            timeout = MISSED_CHECK_SECONDS if away_since is not None else WAKE_SECONDS
            changed = await feed.wait_changed(account_ids, seen, timeout=timeout) or missed
        seen = feed.version(account_ids)            # taken before the refresh reads: a later change wakes us
        # Is the browser still there? Asked when idle and while it is away, not on every change:
        # the answer can take a round trip to Redis, and a change must reach an open page at once.
        if away_since is not None or not changed:
            if not await _browser_connected(token):  # no reads for a browser that left; caught up on return
                away_since, missed = away_since or loop.time(), changed
                if loop.time() - away_since < GONE_SECONDS:
                    continue
                changed = False                     # gone for good: the follower ends below
            else:
                away_since = None
                if not changed:
                    continue
        missed = False
        async with state:
            if state.watch_id != mine:
                return
            actor = state._actor() if changed else None
            if actor is None:                       # signed out, deactivated, or the browser left
                state.watch_id, state._watcher_for, state.live = "", "", False
                return
            try:
                refresh(actor)
            except ServiceError as error:
                state.error = sentence(error)
        await asyncio.sleep(COALESCE_SECONDS)       # a burst of changes shows as one refresh
