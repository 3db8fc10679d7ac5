"""Live pages at scale (issue 18): a departed browser's queued events never run; one account
change is read once per process however many dashboards are open; the cached session check
refuses a forged event at once after a logout or a deactivation (R8), also when another
process made it."""

from __future__ import annotations

import asyncio
import collections
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from cbportal.app_events import DepartingEventProcessor
from cbportal.db import one_read
from cbportal.models import User, VendorAccount
from cbportal.services.accounts import auth
from cbportal.services.core import clock as clock_module
from cbportal.state import live_feed
from cbportal.state.vendor import VendorHomeState
from tests.utils.handlers import call


@pytest.fixture
def fresh_watcher(monkeypatch):
    """A watcher of this test's own (ids restart in every test database)."""
    monkeypatch.setattr(live_feed, "_watcher", live_feed.ChangeWatcher())
    return live_feed.watcher()


@pytest.fixture
def statements(world):
    """The SQL statements the app runs, by the table they count from."""
    seen: collections.Counter[str] = collections.Counter()

    def count(conn, cursor, statement, parameters, context, executemany):
        lowered = statement.lower()
        for table in ("subscription", "ticket_event", "user_role", "web_session"):
            if f"from {table}" in lowered or f"join {table}" in lowered:
                seen[table] += 1

    event.listen(world["engine"], "before_cursor_execute", count)
    yield seen
    event.remove(world["engine"], "before_cursor_execute", count)


def dashboard(world, who: str = "owner") -> VendorHomeState:
    state = VendorHomeState(_reflex_internal_init=True)
    state.token = world["tokens"][who]
    VendorHomeState.load.fn(state)
    assert state.loaded and state.error == ""
    return state


def acme_id(world) -> int:
    with Session(world["engine"]) as s:
        return s.exec(select(VendorAccount.id).where(VendorAccount.nickname == "acme")).one()


def test_one_account_change_is_read_once_for_every_open_dashboard(world, fresh_watcher, statements):
    pages = [dashboard(world) for _ in range(6)]
    fresh_watcher._take([(10_000, acme_id(world))], now=0.0)      # the watcher saw one change of acme
    statements.clear()
    reads = fresh_watcher.figures.reads
    for page in pages:
        page._live_refresh(page._actor())
    # the summary counts active subscriptions, the saved-sales figures read type changes:
    # once per account for the process, not once per dashboard
    assert statements["subscription"] == 1          # acme's summary, read once for six dashboards
    assert statements["ticket_event"] == 1          # acme's saved-sales figures, read once
    assert fresh_watcher.figures.reads == reads + 2


def test_a_filter_change_reads_only_the_ticket_page(world, fresh_watcher, statements):
    page = dashboard(world)
    statements.clear()
    VendorHomeState.pick_type.fn(page, "refund")
    assert page.type_filter == "refund" and page.error == ""
    assert statements["subscription"] == 0 and statements["ticket_event"] == 0
    assert statements["user_role"] == 0             # the session check is the cached one: no role read


def test_a_filter_change_checks_the_session_and_reads_in_one_transaction(world, fresh_watcher):
    """Issue 18: the session check and the page's reads share one pool checkout (one BEGIN,
    one ROLLBACK, one PostgreSQL pre-ping), on a filter event and on a live refresh."""
    page = dashboard(world)
    checkouts = []
    listener = lambda *_args: checkouts.append(1)  # noqa: E731
    event.listen(world["engine"].pool, "checkout", listener)
    try:
        VendorHomeState.pick_type.fn(page, "refund")
        assert page.type_filter == "refund" and len(checkouts) == 1
        with one_read():
            page._live_refresh(page._actor())
        assert len(checkouts) == 2
        page._live_refresh(page._actor())        # outside the block: two sessions, as before
        assert len(checkouts) == 4
    finally:
        event.remove(world["engine"].pool, "checkout", listener)


def test_dashboards_with_the_same_filter_share_one_ticket_page_read(mw, fresh_watcher):
    fresh_watcher._task = SimpleNamespace(done=lambda: False)      # the feed is being read
    pages = [dashboard(mw), dashboard(mw), dashboard(mw, "clerk")]  # the clerk sees acme's board too
    reads = fresh_watcher.pages.reads
    for page in pages:
        VendorHomeState.pick_type.fn(page, "refund")
    assert fresh_watcher.pages.reads == reads + 1                   # one read for three dashboards
    assert [page.rows for page in pages] == [pages[0].rows] * 3 and pages[0].total == 1
    assert [(row["id"], row["type"]) for row in pages[0].rows] == [(mw["ticket_id"], "refund")]
    fresh_watcher._take([(10_000, acme_id(mw))], now=0.0)          # acme changed: read again, once
    for page in pages:
        page._live_refresh(page._actor())
    assert fresh_watcher.pages.reads == reads + 2
    VendorHomeState.pick_due.fn(pages[0], "24")                     # moves with the clock: never shared
    VendorHomeState.pick_due.fn(pages[1], "24")
    assert fresh_watcher.pages.reads == reads + 2 and pages[0].due_filter == pages[1].due_filter == "24"


def test_without_the_watcher_running_every_filter_change_reads_its_page(world, fresh_watcher):
    page = dashboard(world)
    VendorHomeState.pick_type.fn(page, "refund")
    VendorHomeState.pick_type.fn(page, "refund")
    assert fresh_watcher.pages.reads == 0


def test_a_filter_change_assigns_only_what_changed(world, fresh_watcher):
    page = dashboard(world)
    page.dirty_vars.clear()
    VendorHomeState.pick_type.fn(page, "cancel")
    assert "accounts" not in page.dirty_vars and "nicknames" not in page.dirty_vars
    assert "type_filter" in page.dirty_vars


def test_logout_refuses_the_next_forged_event_at_once(world, fresh_watcher):
    page = dashboard(world)
    with Session(world["engine"]) as s:
        auth.logout(s, now=clock_module.get_clock().now(), token=world["tokens"]["owner"])
        s.commit()
    result = call(VendorHomeState, "pick_type", ["cancel"], {}, world["tokens"]["owner"])
    assert "login" in result                        # sent to sign in, nothing read (R8)
    VendorHomeState.pick_type.fn(page, "cancel")
    assert page.type_filter == ""


@pytest.mark.parametrize("how", ["revoked", "deactivated"])
def test_a_logout_or_deactivation_by_another_process_counts_at_once(world, fresh_watcher, how):
    """Another process does not tell this one's cache: the database answers every check."""
    page = dashboard(world, "clerk")
    VendorHomeState.pick_type.fn(page, "refund")
    assert page.type_filter == "refund"             # cached from here on
    with world["engine"].begin() as conn:
        if how == "revoked":
            conn.execute(text("UPDATE web_session SET revoked_at = created_at"))
        else:
            conn.execute(text("UPDATE app_user SET active = false WHERE email = 'tickets@acme.test'"))
    assert auth.session_cache.get(auth._sha256(world["tokens"]["clerk"])) is not None
    VendorHomeState.pick_type.fn(page, "cancel")
    assert page.type_filter == "refund"             # refused: the filter stayed


def test_the_cached_check_skips_the_full_lookup_within_its_lifetime(world):
    with Session(world["engine"]) as s:
        now = clock_module.get_clock().now()
        first = auth.actor_for_session(s, now=now, token=world["tokens"]["owner"])
        loads = auth.session_cache.loads
        again = auth.actor_for_session(s, now=now, token=world["tokens"]["owner"])
        assert again == first and auth.session_cache.loads == loads
        owner = s.exec(select(User).where(User.email == "owner@acme.test")).one()
        auth.session_cache.forget_user(owner.id)           # what a role change or deactivation does
        auth.actor_for_session(s, now=now, token=world["tokens"]["owner"])
        assert auth.session_cache.loads == loads + 1


class RecordingProcessor(DepartingEventProcessor):
    def _create_event_task(self, *, entry, registered_handler):
        self.started.append(entry.ctx.txid)


def test_a_departed_browsers_queued_events_do_not_run():
    from reflex_base.event.processor.future import EventFuture

    async def scenario():
        processor = RecordingProcessor()
        processor.started = []
        for token in ("gone", "here"):
            queue = collections.deque()
            for i in range(3):
                txid = f"{token}-{i}"
                processor._futures[txid] = EventFuture(txid=txid)
                queue.append((SimpleNamespace(ctx=SimpleNamespace(txid=txid, token=token)), None))
            processor._token_queues[token] = queue
        processor._on_disconnect("gone")
        for token in ("gone", "here"):                 # the running first event finishes: the next in line
            processor._token_queues[token].popleft()
            processor._dispatch_next_for_token(token)
        return processor

    processor = asyncio.run(scenario())
    assert processor.started == ["here-1"]             # nothing more of the departed browser runs
    assert processor._futures["gone-1"].cancelled() and processor._futures["gone-2"].cancelled()
    assert not processor._futures["gone-0"].cancelled()   # its running event is left to finish
    assert "gone" not in processor._token_queues
