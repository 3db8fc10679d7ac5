"""The live vendor dashboard: figures and open tickets of the user's linked accounts,
with filters, search and an account switcher. A background task per open dashboard
waits on this process's change watcher and refreshes when one of its accounts changes;
countdowns tick in the browser. Every refresh re-checks the session user (a cached check,
auth.SessionCache). A filter change reads only the ticket page: the per-account figures
come from the process's shared figures (live_feed.SharedFigures), read once per change."""

from __future__ import annotations

import secrets
from typing import TypedDict

import pendulum
import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader
from cbportal.models import Role, VendorAccount
from cbportal.services.accounts import dashboard
from cbportal.services.accounts.accounts import accounts_of
from cbportal.services.core.clock import get_clock
from cbportal.services.tickets import board as ticket_board
from cbportal.state import live_feed
from cbportal.state.base import change_and_refresh
from cbportal.state.session import SessionState


class AccountRow(TypedDict):
    nickname: str
    time_zone: str
    open_tickets: int
    due_24h: int
    active_subscriptions: int
    orders_30d: int


class BoardRow(TypedDict):
    id: int
    receipt: str
    email: str
    account: str
    type: str
    opened_by: str
    opened_at: str
    process_at: str
    last_actor: str
    escalated: bool
    waiting_on: str
    name: str
    is_new: bool          # appeared since the last refresh: highlighted for a few seconds


# The filters live in the page address too (shareable, kept on reload): field -> query key.
URL_KEYS = {"account": "account", "type_filter": "type", "opener_filter": "opener", "due_filter": "due",
            "search": "q", "mine": "mine"}


class VendorHomeState(live_feed.LivePage, SessionState):
    accounts: list[AccountRow] = []
    nicknames: list[str] = []
    roles: list[str] = []
    loaded: bool = False
    can_see_tickets: bool = False
    account: str = ""
    type_filter: str = ""
    opener_filter: str = ""
    due_filter: str = ""
    search: str = ""
    mine: bool = False
    rows: list[BoardRow] = []
    total: int = 0
    shown: int = ticket_board.PAGE_SIZE
    saved: int = 0
    converted: int = 0
    processed: int = 0
    saved_rate: int = 0
    refreshed_at: str = ""
    _seen: list[int] = []
    _user_id: int = 0
    _linked: list[dict] = []        # the user's accounts: id, nickname, zone, tickets (Manage Tickets there)

    def _filter(self) -> ticket_board.BoardFilter:
        hours = int(self.due_filter) if self.due_filter.isdigit() else 0
        return ticket_board.BoardFilter(account=self.account, type=self.type_filter, opener=self.opener_filter,
                                        due_within_hours=hours, search=self.search,
                                        mine_user_id=self._user_id if self.mine else 0)

    def _query_string(self) -> str:
        from urllib.parse import urlencode

        values = {key: ("1" if getattr(self, field) is True else getattr(self, field))
                  for field, key in URL_KEYS.items()}
        query = urlencode({k: v for k, v in values.items() if v not in ("", False)})
        return "?" + query if query else ""

    def _live_refresh(self, actor) -> None:
        self._refresh(actor, live=True)

    def _put(self, **values) -> None:
        """Assign only the vars whose value changed: the delta to the browser stays small."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _load_linked(self, session, actor) -> None:
        """The user's accounts, read on load and on every live refresh (links change rarely)."""
        ticket_ids = {a.id for a in ticket_board.board_accounts(session, actor)} \
            if actor.has(Role.MANAGE_TICKETS) else set()
        self._linked = [{"id": a.id, "nickname": a.nickname, "zone": a.time_zone, "tickets": a.id in ticket_ids}
                        for a in accounts_of(session, actor)]
        self._account_ids = [a["id"] for a in self._linked]   # the watcher wakes for any of them

    def _figures(self, session, now, *, fresh: bool) -> tuple[list[dict], dict]:
        """Per-account summaries and saved-sales figures, shared by the process's open pages."""
        shared = live_feed.watcher().figures

        def summary(account_id: int):
            return lambda: dashboard.account_summary(session, session.get(VendorAccount, account_id), now=now)

        def saved(account_id: int):
            return lambda: ticket_board.account_saved_sales(session, account_id, now=now)

        summaries = [shared.get("summary", a["id"], summary(a["id"]), fresh) for a in self._linked]
        totals = {"saved": 0, "converted": 0, "processed": 0}
        for a in self._linked:
            if a["tickets"] and self.account in ("", a["nickname"]):
                for key, n in shared.get("saved", a["id"], saved(a["id"]), fresh).items():
                    totals[key] += n
        return summaries, ticket_board.with_rate(totals)

    def _refresh(self, actor, live: bool = False, fresh: bool = False) -> None:
        """Read everything first, then assign: a refused filter leaves the page as it was."""
        now = get_clock().now()
        rows, total = [], 0
        can_see_tickets = actor.has(Role.MANAGE_TICKETS)
        with reader(get_engine()) as session:
            if live or fresh or not self._linked:
                self._load_linked(session, actor)
            if can_see_tickets:
                rows, total = ticket_board.open_tickets(session, actor=actor, now=now, where=self._filter(),
                                                        limit=self.shown)
            summaries, figures = self._figures(session, now, fresh=fresh)
        seen = set(self._seen)                          # new = arrived by a live push, not by a filter change
        self._seen = sorted({row["id"] for row in rows})
        rows = [{**row, "is_new": live and row["id"] not in seen} for row in rows]
        zone = summaries[0]["time_zone"] if summaries else "UTC"     # the account's zone, named
        self._put(nicknames=[row["nickname"] for row in summaries],
                  accounts=[AccountRow(**row) for row in summaries if self.account in ("", row["nickname"])],
                  can_see_tickets=can_see_tickets, rows=[BoardRow(**row) for row in rows], total=total,
                  saved=figures["saved"], converted=figures["converted"], processed=figures["processed"],
                  saved_rate=figures["rate"],
                  refreshed_at=pendulum.instance(now).in_timezone(zone).format("HH:mm:ss zz"))

    def _apply(self, **changes):
        """Change a filter and refresh; a bad value or a lost session changes nothing."""
        actor = self._actor()
        if actor is None or actor.is_staff:
            return rx.redirect(f"{routes.LOGIN}?next={routes.VENDOR}")
        changes.setdefault("shown", ticket_board.PAGE_SIZE)     # a new filter starts at the first 50 again
        self._user_id = actor.user_id
        if change_and_refresh(self, actor, self._refresh, **changes):
            return rx.call_script(f"window.history.replaceState(null, '', '{routes.VENDOR}{self._query_string()}')")

    @rx.event
    def load(self):
        actor = self._actor()
        self._show(actor)
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.VENDOR}")
        if not self._gate(actor, routes.VENDOR):
            return
        self.roles = sorted(role.value.replace("_", " ") for role in actor.roles)
        query = self.router.url.query_parameters
        self.loaded, self._seen, self._linked = False, [], []
        with reader(get_engine()) as session:           # a page opened shows the figures as they are now
            self._load_linked(session, actor)
            self._figures(session, get_clock().now(), fresh=True)
        self._apply(account=str(query.get("account", ""))[:40], type_filter=str(query.get("type", ""))[:20],
                    opener_filter=str(query.get("opener", ""))[:20],
                    due_filter=str(query.get("due", "")) if str(query.get("due", "")).isdigit() else "",
                    search=str(query.get("q", ""))[:254], mine=query.get("mine", "") == "1")
        if self.error:          # a bad address: show everything rather than nothing
            self._apply(account="", type_filter="", opener_filter="", due_filter="", search="", mine=False)
        self.loaded = True
        self.watch_id = secrets.token_hex(8)
        return VendorHomeState.watch

    @rx.event(supersedes=True)     # queued filter changes: only the latest runs
    def pick_account(self, value: str):
        return self._apply(account="" if value == "all" else str(value)[:40])

    @rx.event(supersedes=True)     # queued filter changes: only the latest runs
    def pick_type(self, value: str):
        return self._apply(type_filter="" if value == "all" else str(value)[:20])

    @rx.event(supersedes=True)     # queued filter changes: only the latest runs
    def pick_opener(self, value: str):
        return self._apply(opener_filter="" if value == "all" else str(value)[:20])

    @rx.event(supersedes=True)     # queued filter changes: only the latest runs
    def pick_due(self, value: str):
        """A preset ("all", "24") or any number of hours typed in the box ("" = any time)."""
        value = str(value).strip()
        if value not in ("all", "") and not value.isdigit():
            self.error = "Due within takes a whole number of hours."
            return
        return self._apply(due_filter="" if value in ("all", "", "0") else value[:5])

    @rx.event(supersedes=True)     # queued filter changes: only the latest runs
    def search_tickets(self, form: dict):
        return self._apply(search=str(form.get("search", ""))[:254])

    @rx.event(supersedes=True)     # queued filter changes: only the latest runs
    def due_hours(self, form: dict):
        """The "within … hours" box, applied on Enter."""
        return self.pick_due(str(form.get("hours", "")))

    @rx.event(supersedes=True)     # queued filter changes: only the latest runs
    def set_mine(self, value: bool):
        return self._apply(mine=bool(value))

    @rx.event
    def clear_filters(self):
        return self._apply(account="", type_filter="", opener_filter="", due_filter="", search="", mine=False)

    @rx.event
    def show_more(self):
        return self._apply(shown=min(self.shown + ticket_board.PAGE_SIZE, ticket_board.MAX_SHOWN))

    @rx.event
    def stop_watching(self):
        self.watch_id, self.live = "", False

    @rx.event(background=True)
    async def watch(self):
        """Push every change of the user's accounts to this browser, until it leaves."""
        await live_feed.follow(self, self._live_refresh)
