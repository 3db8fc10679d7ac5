"""Billing on the stored test clock through the services: the `shop` fixture for tests/db
(a UTC vendor account with the app's engine and clock pointed at the test database) and
the helpers that create products, the shared histories (`sales_history`,
`monthly_subscription`, `change_product`), buy, move the clock and read bills, subscriptions,
payment attempts and emails back."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from cbportal import db
from cbportal.models import Bill, EmailOutbox, Opener, Order, PaymentAttempt, Subscription
from cbportal.services.billing import checkout, products, subscriptions
from cbportal.services.billing.gateways import PaymentInput
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core import clock as clock_module
from cbportal.services.core.clock import StoredClock
from cbportal.services.engine import worker
from cbportal.services.tickets import lifecycle as tickets
from tests import factories

VISA = PaymentInput(type="card", card_number="4242424242424242", exp_month=12, exp_year=2030, cvc="123")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def shop(engine, tmp_path, monkeypatch):
    """A UTC vendor account on the stored test clock, with the app's engine and clock pointed here."""
    from cbportal.services.delivery import mail

    monkeypatch.setattr(mail, "transport_from_settings", lambda: mail.FolderTransport(tmp_path / "mail"))
    db.use_engine(engine)
    clock = StoredClock(engine)
    clock_module.use_clock(clock)
    start = utc(2026, 1, 5)
    with Session(engine) as s:
        StoredClock.move(s, start)
        acct, owner = factories.account(s, start, nickname="shop", tz="UTC")
        acct.reminder_days = 0
        s.commit()
        account_id = acct.id
    yield {"engine": engine, "clock": clock, "owner": owner, "account_id": account_id}
    db.use_engine(None)
    clock_module.use_clock(None)


def product(shop, sku, *, initial, rebill, unit="month", count=1, rebills=None, trial=None, rate=55):
    with Session(shop["engine"]) as s:
        products.create_product(s, now=shop["clock"].now(), actor=shop["owner"], sku=sku, account="shop",
                                    title=sku, kind="digital", currency="USD", initial_price_cents=initial,
                                    commission_initial_pct=rate, commission_rebill_pct=rate,
                                    recurring=products.RecurringTerms(rebill, unit, count, rebills=rebills,
                                                                      trial_days=trial))
        products.decide_product(s, now=shop["clock"].now(), actor=factories.staff(s, shop["clock"].now()), sku=sku,
                                approve=True)
        s.commit()


def physical(shop, sku, *, rebill, ship_to, kind="physical", currency="USD"):
    with Session(shop["engine"]) as s:
        products.create_product(s, now=shop["clock"].now(), actor=shop["owner"], sku=sku, account="shop", title=sku,
                                kind=kind, currency=currency, initial_price_cents=1000, commission_initial_pct=50,
                                commission_rebill_pct=50, ship_to=ship_to,
                                recurring=products.RecurringTerms(rebill, "month", 1))
        products.decide_product(s, now=shop["clock"].now(), actor=factories.staff(s, shop["clock"].now()), sku=sku,
                                approve=True)
        s.commit()


def move(shop, to):
    worker.advance_test_clock(shop["engine"], to)


def buy(shop, sku, at, affiliate=None, payment=VISA, shipping=None):
    move(shop, at)
    return checkout.checkout(shop["engine"], now=at, gateway=SandboxGateway(shop["engine"], shop["clock"]), sku=sku,
                             customer=checkout.CustomerInput("buyer@example.test", "Buyer", "US"), payment=payment,
                             affiliate=affiliate, shipping_address=shipping)


def bills(shop, receipt):
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        return s.exec(select(Bill).where(Bill.order_id == order.id).order_by(Bill.seq)).all()


def sub_of(shop, receipt):
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        return s.exec(select(Subscription).where(Subscription.order_id == order.id)).one()


def attempts(shop, bill):
    with Session(shop["engine"]) as s:
        return [(a.at.date(), a.outcome) for a in s.exec(select(PaymentAttempt).where(
            PaymentAttempt.bill_id == bill.id, PaymentAttempt.kind == "charge").order_by(PaymentAttempt.id))]


def emails(shop, kind):
    with Session(shop["engine"]) as s:
        return [(e.created_at.date(), e.to_addr) for e in s.exec(select(EmailOutbox).where(EmailOutbox.kind == kind)
                                                                  .order_by(EmailOutbox.id))]


# --- shared histories (a test module exposes each as its own fixture) ------------------------

def sales_history(shop):
    """PRO: $9.95 a month from Jan 15; WK: $3.00 a week from Feb 2; PRO refunded by the vendor on Mar 16."""
    product(shop, "PRO", initial=2995, rebill=995)
    product(shop, "WK", initial=500, rebill=300, unit="week")
    pro = buy(shop, "PRO", utc(2026, 1, 15, 10))
    buy(shop, "WK", utc(2026, 2, 2, 10))
    move(shop, utc(2026, 3, 16, 9))
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == pro)).one()
        tickets.open_ticket(s, now=utc(2026, 3, 16, 9), order=order, type="refund",
                            who=tickets.acting_for(shop["owner"]), opener=Opener.VENDOR)
        s.commit()
    move(shop, utc(2026, 4, 10, 12))
    return shop


def gateway(shop):
    return SandboxGateway(shop["engine"], shop["clock"])


def change_product(shop, receipt, sku, **kw):
    return subscriptions.change_product(shop["engine"], now=shop["clock"].now(), gateway=gateway(shop),
                                        actor=shop["owner"], receipt=receipt, sku=sku, **kw)


def monthly_subscription(shop):
    """May 1 purchase of a $29.95/month subscription; June 1 rebill paid; next bill July 1."""
    product(shop, "MONTHLY", initial=2995, rebill=2995)
    product(shop, "PREMIUM", initial=4900, rebill=4900, unit="week", count=2)
    receipt = buy(shop, "MONTHLY", utc(2026, 5, 1, 9))
    move(shop, utc(2026, 6, 2))
    assert [b.status for b in bills(shop, receipt)] == ["paid", "paid"]
    return receipt
