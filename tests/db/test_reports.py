"""Reports (issue 5): subscriptions by status, MRR at each month's end, rebill revenue,
refunds and saved vs processed requests per month, from a real billing history on the
test clock (R5 rebills, R3 vendor refund in 5 minutes), on SQLite and PostgreSQL."""


import pytest
from sqlmodel import Session, select

from cbportal.models import Order, Role
from cbportal.services.billing import reports
from cbportal.services.core.errors import Forbidden, NotFound
from tests import factories
from tests.utils.billing import sales_history, utc


@pytest.fixture
def history(shop):
    return sales_history(shop)


def test_monthly_figures_exact(history):
    with Session(history["engine"]) as s:
        rows = reports.monthly(s, actor=history["owner"], now=utc(2026, 4, 10, 12), months=4)
    assert [r["month"] for r in rows] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    # MRR: PRO 995; WK 300 a week = 300 x 52 / 12 = 1,300 a month; PRO gone after its refund on Mar 16
    assert [r["mrr_cents"] for r in rows] == [995, 995 + 1300, 1300, 1300]
    # rebills: PRO Feb 15 and Mar 15; WK Feb 9, 16, 23, Mar 2, 9, 16, 23, 30, Apr 6
    assert [r["rebill_cents"] for r in rows] == [0, 995 + 3 * 300, 995 + 5 * 300, 300]
    assert [r["refund_cents"] for r in rows] == [0, 0, 995, 0]        # the last PRO bill
    assert [(r["saved"], r["processed"]) for r in rows] == [(0, 0), (0, 0), (0, 1), (0, 0)]


def test_subscription_counts_and_roles(history):
    with Session(history["engine"]) as s:
        assert reports.subscription_counts(s, actor=history["owner"]) == {
            "active": 1, "dunning": 0, "canceled": 1, "completed": 0}
        now = utc(2026, 4, 10, 12)
        acct = s.exec(select(Order)).first().account_id
        from cbportal.models import VendorAccount
        clerk = factories.clerk(s, now, s.get(VendorAccount, acct), roles=(Role.MANAGE_TICKETS,))
        with pytest.raises(Forbidden):
            reports.monthly(s, actor=clerk, now=now)
        with pytest.raises(NotFound):
            reports.subscription_counts(s, actor=history["owner"], account="elsewhere")


def test_month_starts_cross_the_year():
    starts = reports.month_starts(utc(2026, 2, 3), 3)
    assert [s.strftime("%Y-%m-%d") for s in starts] == ["2025-12-01", "2026-01-01", "2026-02-01"]


def test_months_are_the_accounts_calendar_months(session, clock):
    """A refund at 22:00 on Feb 28 in New York is 03:00 on Mar 1 in UTC: it is February's."""
    from cbportal.models import AttemptKind, AttemptOutcome, PaymentAttempt

    now = utc(2026, 3, 10)
    acct, owner = factories.account(session, now, tz="America/New_York")
    prod = factories.product(session, now, owner, acct)
    order = factories.order(session, session.get_bind(), clock, prod, acct, paid_at=utc(2026, 2, 20))
    bill = factories.add_paid_bill(session, order, seq=2, kind="rebill", amount=995, paid_at=utc(2026, 2, 21))
    session.add(PaymentAttempt(bill_id=bill.id, kind=AttemptKind.REFUND, idempotency_key="r1", amount_cents=500,
                               outcome=AttemptOutcome.REFUNDED, gateway="sandbox", at=utc(2026, 3, 1, 3),
                               finished_at=utc(2026, 3, 1, 3)))
    session.commit()
    assert reports.report_zone(session, actor=owner) == "America/New_York"
    rows = reports.monthly(session, actor=owner, now=now, months=2)
    assert [(r["month"], r["refund_cents"]) for r in rows] == [("2026-02", 500), ("2026-03", 0)]
