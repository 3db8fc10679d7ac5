"""The live dashboard's data: an account's open tickets with filters and search,
and the "saved sales" figures (refund/cancel requests closed or converted vs processed)."""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from cbportal.models import (
    CloseReason,
    Customer,
    Opener,
    Order,
    Role,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketType,
    VendorAccount,
)
from cbportal.services.accounts.accounts import accounts_for
from cbportal.services.accounts.auth import Actor
from cbportal.services.core import text_search
from cbportal.services.core.errors import Invalid
from cbportal.services.core.prefix import starts_with
from cbportal.services.core.timefmt import local_text

SALE_TYPES = (TicketType.REFUND, TicketType.CANCEL)
PAGE_SIZE = 50
MAX_SHOWN = 500          # the board shows at most this many; filters narrow it down


@dataclass(frozen=True)
class BoardFilter:
    """What the dashboard shows: one account (or all), a type, an opener, due within N hours, a search."""
    account: str = ""            # nickname, "" = every linked account
    type: str = ""               # refund | cancel | tech_support | ""
    opener: str = ""             # customer | vendor | clerk | staff | api | ""
    due_within_hours: int = 0    # 0 = any time
    search: str = ""             # the start of a receipt, or any part of the customer's email or name
    mine_user_id: int = 0        # only tickets assigned to this user ("mine"); 0 = anyone's

    def checked(self) -> BoardFilter:
        if self.type and self.type not in {t.value for t in TicketType}:
            raise Invalid("unknown ticket type", "invalid_filter")
        if self.opener and self.opener not in {o.value for o in Opener}:
            raise Invalid("unknown opener", "invalid_filter")
        if not 0 <= self.due_within_hours <= 24 * 365:
            raise Invalid("due within is 0 to 8760 hours", "invalid_filter")
        return BoardFilter(self.account.strip().lower()[:40], self.type, self.opener, self.due_within_hours,
                           self.search.strip()[:254], int(self.mine_user_id or 0))


def board_accounts(session: Session, actor: Actor, nickname: str = "") -> list[VendorAccount]:
    """The linked accounts the actor may see on the board (Manage Tickets), or the one picked."""
    return accounts_for(session, actor, Role.MANAGE_TICKETS, nickname)


def open_tickets(session: Session, *, actor: Actor, now: datetime, where: BoardFilter = BoardFilter(),
                 limit: int = PAGE_SIZE, share: Callable | None = None) -> tuple[list[dict], int]:
    """Open tickets of the actor's accounts, soonest processing first; returns (first page, total).
    `share(ids, where, limit, read)` may hand back a page read earlier with the same accounts
    (the ones this actor may see, checked on every call), filter and size, or call `read()`."""
    where, limit = where.checked(), min(max(1, limit), MAX_SHOWN)
    ids = [a.id for a in board_accounts(session, actor, where.account)]
    if share is None:
        return _page(session, ids, now, where, limit)
    return share(ids, where, limit, lambda: _page(session, ids, now, where, limit))


def _page(session: Session, ids: list[int], now: datetime, where: BoardFilter, limit: int) -> tuple[list[dict], int]:
    conditions = [Ticket.account_id.in_(ids), Ticket.status == TicketStatus.OPEN]
    if where.type:
        conditions.append(Ticket.type == where.type)
    if where.opener:
        conditions.append(Ticket.opened_by == where.opener)
    if where.due_within_hours:
        conditions += [Ticket.process_at.is_not(None),
                       Ticket.process_at <= now + timedelta(hours=where.due_within_hours)]
    if where.mine_user_id:
        conditions.append(Ticket.assignee_user_id == where.mine_user_id)
    if where.search:
        term = where.search       # the start of a receipt, or any part of the customer's email or name
        conditions.append(or_(starts_with(session, Order.receipt, term.upper()),
                              text_search.customer_matches(session, term)))
    count = select(func.count()).select_from(Ticket)
    if where.search:
        count = count.join(Order, Ticket.order_id == Order.id).join(Customer, Order.customer_id == Customer.id)
    total = session.exec(count.where(*conditions)).one()
    # the columns the board shows, not whole rows: loading four ORM objects a row was most of
    # a filter change's CPU (issue 18)
    base = (select(Ticket.id, Order.receipt, Customer.email, VendorAccount.nickname, Ticket.type, Ticket.opened_by,
                   Ticket.opened_at, VendorAccount.time_zone, Ticket.process_at, Ticket.last_actor, Ticket.escalation,
                   Customer.name)
            .join(Order, Ticket.order_id == Order.id).join(Customer, Order.customer_id == Customer.id)
            .join(VendorAccount, Ticket.account_id == VendorAccount.id).where(*conditions))
    # soonest processing first, then tickets with no processing time (tech support), newest first;
    # two queries so each can walk an index instead of sorting every open ticket
    found = list(session.exec(base.where(Ticket.process_at.is_not(None)).order_by(Ticket.process_at, Ticket.id)
                              .limit(limit)))
    if len(found) < limit:
        found += session.exec(base.where(Ticket.process_at.is_(None)).order_by(Ticket.id.desc())
                              .limit(limit - len(found))).all()
    rows = [{"id": ticket_id, "receipt": receipt, "email": email, "account": nickname, "type": str(kind),
             "opened_by": str(opened_by), "opened_at": local_text(opened_at, zone),
             "process_at": process_at.isoformat() if process_at else "",
             "last_actor": str(last_actor), "escalated": str(escalation) != "none",
             # who must act next: the customer wrote last (or just opened it) -> the vendor
             "waiting_on": "the customer" if str(last_actor) == "vendor" else "you",
             "name": name}
            for (ticket_id, receipt, email, nickname, kind, opened_by, opened_at, zone, process_at, last_actor,
                 escalation, name) in found]
    return rows, total


def sale_outcomes(session: Session, ids: list[int], since: datetime, bucket=None) -> dict:
    """What became of the refund/cancel requests decided since `since`: saved (closed by the
    customer, the vendor, staff or inactivity, or converted to tech support), of which
    converted, and processed. `bucket(instant column)` splits them (e.g. by month); without
    it they are one group, key None. Returns {key: {"saved", "converted", "processed"}}."""
    def query(instant, *columns):
        key = [bucket(instant)] if bucket is not None else []
        return select(*key, *columns), key

    outcomes = collections.defaultdict(lambda: {"saved": 0, "converted": 0, "processed": 0})
    closed, key = query(Ticket.closed_at, Ticket.close_reason, func.count())
    for *group, reason, n in session.execute(closed.where(
            Ticket.account_id.in_(ids), Ticket.type.in_(SALE_TYPES), Ticket.status == TicketStatus.CLOSED,
            Ticket.closed_at >= since).group_by(*key, Ticket.close_reason)):
        outcomes[group[0] if group else None]["processed" if str(reason) == CloseReason.PROCESSED else "saved"] += n
    converted, key = query(TicketEvent.at, func.count(func.distinct(TicketEvent.ticket_id)))
    for *group, n in session.execute(converted.join(Ticket, TicketEvent.ticket_id == Ticket.id).where(
            Ticket.account_id.in_(ids), TicketEvent.kind == "type_changed", Ticket.type == TicketType.TECH_SUPPORT,
            TicketEvent.at >= since).group_by(*key)):
        outcomes[group[0] if group else None]["converted"] += n
        outcomes[group[0] if group else None]["saved"] += n
    return outcomes


def saved_sales(session: Session, *, actor: Actor, now: datetime, account: str = "", days: int = 30) -> dict:
    """The dashboard's saved-sales figures for the last `days` days, with the save rate."""
    ids = [a.id for a in board_accounts(session, actor, account)]
    return with_rate(dict(sale_outcomes(session, ids, now - timedelta(days=days))[None]), days)


def account_saved_sales(session: Session, account_id: int, *, now: datetime, days: int = 30) -> dict:
    """One account's saved/converted/processed counts (the caller checked Manage Tickets);
    the dashboard adds them up over the accounts it shows (`with_rate`)."""
    return dict(sale_outcomes(session, [account_id], now - timedelta(days=days))[None])


def with_rate(figures: dict, days: int = 30) -> dict:
    """Saved/converted/processed counts with the save rate (percent of decided requests saved)."""
    decided = figures["saved"] + figures["processed"]
    return {**figures, "rate": round(100 * figures["saved"] / decided) if decided else 0, "days": days}
