"""Subscription analytics for the Reports page (report access): subscriptions by status,
and per calendar month of the accounts' time zone: monthly recurring revenue at the month's
end, rebill revenue, refunds, and refund/cancel requests saved vs processed. Amounts in cents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pendulum
from sqlalchemy import case, func, or_
from sqlmodel import Session, select

from cbportal.models import (
    AttemptKind,
    AttemptOutcome,
    Bill,
    BillKind,
    BillStatus,
    FrequencyUnit,
    Order,
    PaymentAttempt,
    Role,
    Subscription,
    SubscriptionStatus,
)
from cbportal.services.accounts.accounts import accounts_for
from cbportal.services.accounts.auth import Actor
from cbportal.services.core.money import round_half_up
from cbportal.services.tickets.board import sale_outcomes

# A subscription's price per month: 12 months = 52 weeks = 365 days.
MONTHS_PER_UNIT = {FrequencyUnit.DAY: Decimal(12) / 365, FrequencyUnit.WEEK: Decimal(12) / 52,
                   FrequencyUnit.MONTH: Decimal(1)}


def report_accounts(session: Session, actor: Actor, nickname: str = "") -> list[int]:
    return [a.id for a in accounts_for(session, actor, Role.REPORT_ACCESS, nickname)]


def report_zone(session: Session, *, actor: Actor, account: str = "") -> str:
    """Months are the accounts' calendar months: their time zone if they share one, else UTC."""
    zones = {a.time_zone for a in accounts_for(session, actor, Role.REPORT_ACCESS, account)}
    return zones.pop() if len(zones) == 1 else "UTC"


def month_starts(now: datetime, months: int, tz: str = "UTC") -> list[pendulum.DateTime]:
    """The first instant of each of the last `months` calendar months in `tz`, oldest first,
    this month last."""
    this_month = pendulum.instance(now).in_timezone(tz).start_of("month")
    return [this_month.subtract(months=k) for k in range(months - 1, -1, -1)]


def _bucket(column, starts: list[datetime]):
    """The index of the month an instant falls in: one CASE over the month starts, so every
    database groups by the same local months (SQLite knows no time zones)."""
    return case(*[(column < starts[i], i - 1) for i in range(1, len(starts))], else_=len(starts) - 1)


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
    """One row per calendar month of the accounts' zone (report_zone): mrr_cents (at the month's
    end, or now), rebill_cents, refund_cents, and refund/cancel requests saved (closed unprocessed
    or converted, as on the dashboard) vs processed."""
    ids = report_accounts(session, actor, account)
    starts = month_starts(now, months, report_zone(session, actor=actor, account=account))

    def grouped(column, value, *where) -> dict[int, int]:
        month = _bucket(column, starts)
        query = select(month, value).where(column >= starts[0], *where).group_by(month)
        return {m: int(v or 0) for m, v in session.exec(query)}

    rebills = grouped(Bill.paid_at, func.sum(Bill.amount_cents), Bill.order_id == Order.id,
                      Order.account_id.in_(ids), Bill.kind == BillKind.REBILL,
                      Bill.status.in_([BillStatus.PAID, BillStatus.REFUNDED]))
    refunds = grouped(PaymentAttempt.finished_at, func.sum(PaymentAttempt.amount_cents),
                      PaymentAttempt.bill_id == Bill.id, Bill.order_id == Order.id, Order.account_id.in_(ids),
                      PaymentAttempt.kind == AttemptKind.REFUND, PaymentAttempt.outcome == AttemptOutcome.REFUNDED)
    outcomes = sale_outcomes(session, ids, starts[0], bucket=lambda instant: _bucket(instant, starts))
    rows = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else now
        rows.append({"month": start.format("YYYY-MM"), "mrr_cents": mrr_cents(session, ids, end),
                     "rebill_cents": rebills.get(i, 0), "refund_cents": refunds.get(i, 0),
                     "saved": outcomes[i]["saved"], "processed": outcomes[i]["processed"]})
    return rows
