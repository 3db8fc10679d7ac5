"""What the live vendor dashboard (state/vendor.py) shows, as plain data: its row types,
its filters in the page address, the ticket filter they make, the rows marked new since the
last refresh, the "refreshed at" time, and the reads behind the account cards (through the
services, shared by the process's dashboards). Plain functions, no Reflex."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict
from urllib.parse import urlencode

import pendulum

from cbportal.models import Role, VendorAccount
from cbportal.services.accounts import dashboard
from cbportal.services.accounts.accounts import accounts_of
from cbportal.services.tickets import board as ticket_board


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


NO_FILTERS = {"account": "", "type_filter": "", "opener_filter": "", "due_filter": "", "search": "", "mine": False}


def due_hours(value) -> tuple[str, str]:
    """The "due within" filter from a preset ("all", "24") or hours typed ("" = any time):
    (the filter, "") or ("", why it is refused)."""
    value = str(value).strip()
    if value not in ("all", "") and not value.isdigit():
        return "", "Due within takes a whole number of hours."
    return ("" if value in ("all", "", "0") else value[:5]), ""


def filters_from_query(query) -> dict:
    """The filter fields in a page address's query (bounded; a due time is whole hours)."""
    due = str(query.get("due", ""))
    return {"account": str(query.get("account", ""))[:40], "type_filter": str(query.get("type", ""))[:20],
            "opener_filter": str(query.get("opener", ""))[:20], "due_filter": due if due.isdigit() else "",
            "search": str(query.get("q", ""))[:254], "mine": query.get("mine", "") == "1"}


def query_string(fields: dict) -> str:
    """The page address's query for these filter fields ("" when none is set)."""
    values = {key: ("1" if fields[field] is True else fields[field]) for field, key in URL_KEYS.items()}
    query = urlencode({k: v for k, v in values.items() if v not in ("", False)})
    return "?" + query if query else ""


def board_filter(fields: dict, user_id: int) -> ticket_board.BoardFilter:
    """The ticket board's filter for the page's filter fields (`mine` = this user's tickets)."""
    due = fields["due_filter"]
    return ticket_board.BoardFilter(account=fields["account"], type=fields["type_filter"],
                                    opener=fields["opener_filter"], due_within_hours=int(due) if due.isdigit() else 0,
                                    search=fields["search"], mine_user_id=user_id if fields["mine"] else 0)


def board_rows(rows: list[dict], seen: set[int], live: bool) -> list[BoardRow]:
    """The page's rows; new = arrived by a live push (not by a filter change) since `seen`."""
    return [BoardRow(**row, is_new=live and row["id"] not in seen) for row in rows]


def shown_accounts(summaries: list[dict], account: str) -> list[AccountRow]:
    """The account cards: every linked account, or the one picked."""
    return [AccountRow(**row) for row in summaries if account in ("", row["nickname"])]


def refreshed_text(now: datetime, summaries: list[dict]) -> str:
    """When the page was read, in the first account's zone, named ("14:03:07 CET")."""
    zone = summaries[0]["time_zone"] if summaries else "UTC"
    return pendulum.instance(now).in_timezone(zone).format("HH:mm:ss zz")


def linked_accounts(session, actor) -> list[dict]:
    """The user's accounts: id, nickname, zone, and whether they may see its tickets."""
    ticket_ids = {a.id for a in ticket_board.board_accounts(session, actor)} \
        if actor.has(Role.MANAGE_TICKETS) else set()
    return [{"id": a.id, "nickname": a.nickname, "zone": a.time_zone, "tickets": a.id in ticket_ids}
            for a in accounts_of(session, actor)]


def account_figures(session, linked: list[dict], account: str, now: datetime, shared,
                    fresh: bool) -> tuple[list[dict], dict]:
    """Every linked account's summary and the saved-sales figures of the ones picked (all
    for ""), through `shared` (change_watcher.SharedFigures): read once per account change."""
    def summary(account_id: int):
        return lambda: dashboard.account_summary(session, session.get(VendorAccount, account_id), now=now)

    def saved(account_id: int):
        return lambda: ticket_board.account_saved_sales(session, account_id, now=now)

    summaries = [shared.get("summary", a["id"], summary(a["id"]), fresh) for a in linked]
    totals = {"saved": 0, "converted": 0, "processed": 0}
    for a in linked:
        if a["tickets"] and account in ("", a["nickname"]):
            for key, n in shared.get("saved", a["id"], saved(a["id"]), fresh).items():
                totals[key] += n
    return summaries, ticket_board.with_rate(totals)
