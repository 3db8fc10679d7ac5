"""Live pages: `follow`, the body of a page's background task that refreshes it whenever
one of its accounts changes, and `LivePage`, the vars it needs of a page. The process's
change watcher and the figures it shares live in state/change_watcher.py (no Reflex)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import reflex as rx

from cbportal.db import one_read
from cbportal.services.core.errors import ServiceError
from cbportal.state.change_watcher import ChangeWatcher, SharedFigures  # noqa: F401 - here for the pages and tests
from cbportal.state.session import sentence


class LivePage(rx.State, mixin=True):
    """What makes a page live: these vars, `watch` (the background task running `follow`),
    `stop_watching`, and `_follow()` to end its load with. The page defines `_live_refresh(actor)`
    (what a change re-reads), has the signed-in user (`_actor()`) and an `error` var."""

    live: bool = False              # the page follows changes (shown as "live")
    watch_id: str = ""              # the current follower's id; changing it stops the old one
    _watcher_for: str = ""          # the watch_id a follower already runs for
    _account_ids: list[int] = []    # the accounts whose changes refresh the page

    def _follow(self):
        """The end of a live page's load: a new follower id, and the event that starts it."""
        self.watch_id = secrets.token_hex(8)
        return type(self).watch

    def _put(self, **values) -> None:
        """Assign only the vars whose value changed: the delta to the browser stays small."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    @rx.event
    def stop_watching(self):
        self.watch_id, self.live = "", False

    @rx.event(background=True)
    async def watch(self):
        """Refresh the page whenever one of its accounts changes, until it closes."""
        await follow(self, self._live_refresh)


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


def shared_page(key: Hashable, account_ids: Iterable[int], read: Callable[[], Any]) -> Any:
    """A page read shared by the process's open pages until one of its accounts changes; read
    every time while the watcher is not running (then no change would be noticed)."""
    feed = watcher()
    return feed.pages.shared(key, account_ids, read) if feed.running else read()


def shared_board_page(ids: list[int], where, limit: int, read: Callable[[], Any]) -> Any:
    """A dashboard's ticket page, read once per change of its accounts for every open dashboard
    with this filter (board.open_tickets' `share`); a time filter is read every time (it moves
    with the clock)."""
    if where.due_within_hours:
        return read()
    return shared_page(("board", tuple(ids), where, limit), ids, read)


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
            with one_read():                        # the session check and the reads: one transaction
                actor = state._actor() if changed else None
                if actor is None:                   # signed out, deactivated, or the browser left
                    state.watch_id, state._watcher_for, state.live = "", "", False
                    return
                try:
                    refresh(actor)
                except ServiceError as error:
                    state.error = sentence(error)
        await asyncio.sleep(COALESCE_SECONDS)       # a burst of changes shows as one refresh
