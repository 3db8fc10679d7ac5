"""Subscription analytics for the Reports page (Manage Orders): subscriptions by status,
and per calendar month (UTC): monthly recurring revenue at the month's end, rebill
revenue, refunds, and refund/cancel requests saved vs processed. Amounts in cents."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import func, literal_column, or_
from sqlmodel import Session, select

from cbportal.models import (
    AttemptKind, AttemptOutcome, Bill, BillKind, BillStatus, CloseReason, FrequencyUnit, Order, PaymentAttempt, Role,
    Subscription, SubscriptionStatus, Ticket, TicketEvent, TicketStatus, TicketType,
)
from cbportal.services.accounts import accounts_for
from cbportal.services.auth import Actor
from cbportal.services.money import round_half_up
from cbportal.services.ticket_board import SALE_TYPES

# A subscription's price per month: 12 months = 52 weeks = 365 days.
MONTHS_PER_UNIT = {FrequencyUnit.DAY: Decimal(12) / 365, FrequencyUnit.WEEK: Decimal(12) / 52,
                   FrequencyUnit.MONTH: Decimal(1)}


def report_accounts(session: Session, actor: Actor, nickname: str = "") -> list[int]:
    return [a.id for a in accounts_for(session, actor, Role.MANAGE_ORDERS, nickname)]


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instant of each of the last `months` UTC months, oldest first, this month last."""
    y, m = now.astimezone(timezone.utc).year, now.astimezone(timezone.utc).month
    starts = []
    for _ in range(months):
        starts.append(datetime(y, m, 1, tzinfo=timezone.utc))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return starts[::-1]


def _month(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM'"))
    return func.substr(column, 1, 7)       # SQLite keeps instants as UTC text


def subscription_counts(session: Session, *, actor: Actor, account: str = "") -> dict[str, int]:
    ids = report_accounts(session, actor, account)
    counts = dict(session.exec(select(Subscription.status, func.count()).where(Subscription.account_id.in_(ids))
                               .group_by(Subscription.status)).all())
    return {status.value: counts.get(status, counts.get(status.value, 0)) for status in SubscriptionStatus}


def mrr_cents(session: Session, ids: list[int], at: datetime) -> int:
    """Monthly recurring revenue of the subscriptions running at instant `at` (bought before,
    not canceled or completed yet), each price brought to a month (R5 frequencies)."""
    rows = session.exec(select(Subscription.frequency_unit, Subscription.frequency_count,
                               func.sum(Subscription.rebill_price_cents))
                        .join(Order, Subscription.order_id == Order.id)
                        .where(Subscription.account_id.in_(ids), Order.created_at < at,
                               or_(Subscription.canceled_at.is_(None), Subscription.canceled_at >= at),
                               or_(Subscription.completed_at.is_(None), Subscription.completed_at >= at))
                        .group_by(Subscription.frequency_unit, Subscription.frequency_count))
    total = Decimal(0)
    for unit, count, cents in rows:
        total += Decimal(cents or 0) / (MONTHS_PER_UNIT[FrequencyUnit(unit)] * Decimal(count))
    return round_half_up(total)


def monthly(session: Session, *, actor: Actor, now: datetime, account: str = "", months: int = 12) -> list[dict]:
    """One row per month: mrr_cents (at the month's end, or now), rebill_cents, refund_cents, and
    refund/cancel requests saved (closed unprocessed or converted, as on the dashboard) vs processed."""
    ids = report_accounts(session, actor, account)
    starts = month_starts(now, months)
    since = starts[0]

    def grouped(column, value, *where) -> dict[str, int]:
        month = _month(session, column)
        return {m: int(v or 0) for m, v in session.exec(select(month, value).where(*where).group_by(month))}

    rebills = grouped(Bill.paid_at, func.sum(Bill.amount_cents), Bill.order_id == Order.id,
                      Order.account_id.in_(ids), Bill.kind == BillKind.REBILL,
                      Bill.status.in_([BillStatus.PAID, BillStatus.REFUNDED]), Bill.paid_at >= since)
    refunds = grouped(PaymentAttempt.finished_at, func.sum(PaymentAttempt.amount_cents),
                      PaymentAttempt.bill_id == Bill.id, Bill.order_id == Order.id, Order.account_id.in_(ids),
                      PaymentAttempt.kind == AttemptKind.REFUND, PaymentAttempt.outcome == AttemptOutcome.REFUNDED,
                      PaymentAttempt.finished_at >= since)
    closed = dict(((m, str(reason)), n) for m, reason, n in session.exec(
        select(_month(session, Ticket.closed_at), Ticket.close_reason, func.count())
        .where(Ticket.account_id.in_(ids), Ticket.type.in_(SALE_TYPES), Ticket.status == TicketStatus.CLOSED,
               Ticket.closed_at >= since)
        .group_by(_month(session, Ticket.closed_at), Ticket.close_reason)))
    converted = grouped(TicketEvent.at, func.count(func.distinct(TicketEvent.ticket_id)),
                        TicketEvent.ticket_id == Ticket.id, Ticket.account_id.in_(ids),
                        TicketEvent.kind == "type_changed", Ticket.type == TicketType.TECH_SUPPORT,
                        TicketEvent.at >= since)
    rows = []
    for i, start in enumerate(starts):
        key = start.strftime("%Y-%m")
        end = starts[i + 1] if i + 1 < len(starts) else now
        processed = closed.get((key, CloseReason.PROCESSED.value), 0)
        saved = converted.get(key, 0) + sum(n for (m, reason), n in closed.items()
                                            if m == key and reason != CloseReason.PROCESSED.value)
        rows.append({"month": key, "mrr_cents": mrr_cents(session, ids, end), "rebill_cents": rebills.get(key, 0),
                     "refund_cents": refunds.get(key, 0), "saved": saved, "processed": processed})
    return rows

