"""The live vendor dashboard: figures and open tickets of the user's linked accounts, with
filters, search and an account switcher, followed live (live_feed.follow; countdowns tick in
the browser). A filter change reads only the ticket page, shared by dashboards with the same
accounts and filter until one of them changes; the per-account figures are the process's
(change_watcher.SharedFigures). What the page shows is built in state/vendor_view.py."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, one_read, reader
from cbportal.models import Role
from cbportal.services.core.clock import get_clock
from cbportal.services.tickets import board as ticket_board
from cbportal.state import live_feed
from cbportal.state import vendor_view as view
from cbportal.state.base import change_and_refresh, enter
from cbportal.state.session import SessionState
from cbportal.state.vendor_view import AccountRow, BoardRow

__all__ = ["AccountRow", "BoardRow", "VendorHomeState"]


class VendorHomeState(live_feed.LivePage, SessionState):
    error: str = ""
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

    def _fields(self) -> dict:
        return {field: getattr(self, field) for field in view.URL_KEYS}

    def _filter(self) -> ticket_board.BoardFilter:
        return view.board_filter(self._fields(), self._user_id)

    def _live_refresh(self, actor) -> None:
        self._refresh(actor, live=True)

    def _load_linked(self, session, actor) -> None:
        """The user's accounts, read on load and on every live refresh (links change rarely)."""
        self._linked = view.linked_accounts(session, actor)
        self._account_ids = [a["id"] for a in self._linked]   # the watcher wakes for any of them

    def _figures(self, session, now, *, fresh: bool) -> tuple[list[dict], dict]:
        """Per-account summaries and saved-sales figures, shared by the process's open pages."""
        return view.account_figures(session, self._linked, self.account, now, live_feed.watcher().figures, fresh)

    def _refresh(self, actor, live: bool = False, fresh: bool = False) -> None:
        """Read everything first, then assign: a refused filter leaves the page as it was."""
        now = get_clock().now()
        rows, total = [], 0
        can_see_tickets = actor.has(Role.MANAGE_TICKETS)
        with reader(get_engine()) as session:
            if live or fresh or not self._linked:
                self._load_linked(session, actor)
            if can_see_tickets:
                share = None if fresh else live_feed.shared_board_page
                rows, total = ticket_board.open_tickets(session, actor=actor, now=now, where=self._filter(),
                                                        limit=self.shown, share=share)
            summaries, figures = self._figures(session, now, fresh=fresh)
        seen = set(self._seen)                          # new = arrived by a live push, not by a filter change
        self._seen = sorted({row["id"] for row in rows})
        self._put(nicknames=[row["nickname"] for row in summaries],
                  accounts=view.shown_accounts(summaries, self.account),
                  can_see_tickets=can_see_tickets, rows=view.board_rows(rows, seen, live), total=total,
                  saved=figures["saved"], converted=figures["converted"], processed=figures["processed"],
                  saved_rate=figures["rate"], refreshed_at=view.refreshed_text(now, summaries))

    def _apply(self, **changes):
        """Change a filter and refresh (with the session check, one read transaction); a bad
        value or a lost session changes nothing."""
        with one_read():
            actor = self._actor()
            if actor is None or actor.is_staff:
                return rx.redirect(routes.login(next=routes.VENDOR))
            changes.setdefault("shown", ticket_board.PAGE_SIZE)     # a new filter starts at the first 50 again
            self._user_id = actor.user_id
            refreshed = change_and_refresh(self, actor, self._refresh, **changes)
        if refreshed:
            address = routes.VENDOR + view.query_string(self._fields())
            return rx.call_script(f"window.history.replaceState(null, '', '{address}')")

    @rx.event
    def load(self):
        actor, leave = enter(self, routes.VENDOR)
        if actor is None:
            return leave
        self.roles = sorted(role.value.replace("_", " ") for role in actor.roles)
        self.loaded, self._seen, self._linked = False, [], []
        with reader(get_engine()) as session:           # a page opened shows the figures as they are now
            self._load_linked(session, actor)
            self._figures(session, get_clock().now(), fresh=True)
        self._apply(**view.filters_from_query(self.router.url.query_parameters))
        if self.error:          # a bad address: show everything rather than nothing
            self._apply(**view.NO_FILTERS)
        self.loaded = True
        return self._follow()

    # The filter changes: when several are queued, only the latest runs (supersedes).
    @rx.event(supersedes=True)
    def pick_account(self, value: str):
        return self._apply(account="" if value == "all" else str(value)[:40])

    @rx.event(supersedes=True)
    def pick_type(self, value: str):
        return self._apply(type_filter="" if value == "all" else str(value)[:20])

    @rx.event(supersedes=True)
    def pick_opener(self, value: str):
        return self._apply(opener_filter="" if value == "all" else str(value)[:20])

    @rx.event(supersedes=True)
    def pick_due(self, value: str):
        """A preset ("all", "24") or any number of hours typed in the box ("" = any time)."""
        hours, self.error = view.due_hours(value)
        return None if self.error else self._apply(due_filter=hours)

    @rx.event(supersedes=True)
    def search_tickets(self, form: dict):
        return self._apply(search=str(form.get("search", ""))[:254])

    @rx.event(supersedes=True)
    def due_hours(self, form: dict):
        """The "within … hours" box, applied on Enter."""
        return self.pick_due(str(form.get("hours", "")))

    @rx.event(supersedes=True)
    def set_mine(self, value: bool):
        return self._apply(mine=bool(value))

    @rx.event
    def clear_filters(self):
        return self._apply(**view.NO_FILTERS)

    @rx.event
    def show_more(self):
        return self._apply(shown=min(self.shown + ticket_board.PAGE_SIZE, ticket_board.MAX_SHOWN))

