"""Subscription management (RULES R7, with R1 proration and R8 roles) on the test clock."""

from datetime import date, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from cbportal.models import InsOutbox, Order, Product, Role, SandboxCharge, Subscription, VendorAccount
from cbportal.services.billing import charges as billing
from cbportal.services.billing import subscriptions
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, NotFound
from tests import factories
from tests.utils.billing import (
    bills,
    buy,
    change_product,
    emails,
    monthly_subscription,
    move,
    physical,
    product,
    sub_of,
    utc,
)


def run(shop, fn, receipt, **kw):
    with Session(shop["engine"]) as s:
        result = fn(s, now=shop["clock"].now(), actor=shop["owner"], receipt=receipt, **kw)
        s.commit()
        return result


@pytest.fixture
def monthly(shop):
    return monthly_subscription(shop)


def test_r7_r1_prorated_refund_rounds_half_up_and_terms_change(shop, monthly):
    move(shop, utc(2026, 6, 15, 12))  # 15 days left after today of a 30-day period: 2995 x 15/30 = 1497.5
    with Session(shop["engine"]) as s:
        plan = subscriptions.preview_change_product(s, now=shop["clock"].now(), actor=shop["owner"], receipt=monthly,
                                                    sku="PREMIUM")
    assert plan["prorated_refund_cents"] == 1498
    assert plan["next_bill_date"] == date(2026, 7, 1)
    assert change_product(shop, monthly, "PREMIUM") == 1498
    sub = sub_of(shop, monthly)
    assert (sub.rebill_price_cents, sub.frequency_unit, sub.frequency_count) == (4900, "week", 2)
    assert sub.next_bill_date == date(2026, 7, 1) and sub.payments_remaining is None
    june = bills(shop, monthly)[1]
    assert (june.refunded_cents, june.status) == (1498, "paid")
    with Session(shop["engine"]) as s:
        ledger = s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()
        order = s.exec(select(Order).where(Order.receipt == monthly)).one()
        assert s.get(Product, order.product_id).sku == "PREMIUM"
    assert [r.amount_cents for r in ledger] == [1498]
    assert emails(shop, "subscription_changed") == [(date(2026, 6, 15), "buyer@example.test")]
    move(shop, utc(2026, 7, 2))
    july = bills(shop, monthly)[2]
    assert (july.scheduled_date, july.amount_cents, july.status) == (date(2026, 7, 1), 4900, "paid")
    assert sub_of(shop, monthly).next_bill_date == date(2026, 7, 15)


def test_r1_nothing_is_prorated_from_an_initial_payment(shop):
    product(shop, "MONTHLY", initial=2995, rebill=2995)
    product(shop, "OTHER", initial=1000, rebill=1000)
    receipt = buy(shop, "MONTHLY", utc(2026, 5, 1, 9))
    move(shop, utc(2026, 5, 10))
    assert change_product(shop, receipt, "OTHER") == 0
    assert bills(shop, receipt)[0].refunded_cents == 0


def test_r7_change_product_can_set_the_next_bill_date_and_skips_the_new_trial(shop, monthly):
    product(shop, "TRIAL", initial=0, rebill=1500, trial=30)
    move(shop, utc(2026, 6, 20))
    change_product(shop, monthly, "TRIAL", next_bill_date=date(2026, 7, 10))
    sub = sub_of(shop, monthly)
    assert (sub.next_bill_date, sub.trial_days, sub.rebill_price_cents) == (date(2026, 7, 10), None, 1500)


def test_r7_product_compatibility_rules(shop, monthly):
    physical(shop, "BOX", rebill=2000, ship_to=["US", "CA"])
    physical(shop, "BOX-US", rebill=2000, ship_to=["US"])
    physical(shop, "BOX-WIDE", rebill=2500, ship_to=["US", "CA", "MX"])
    physical(shop, "EURO", rebill=2000, ship_to=["US"], kind="digital", currency="EUR")
    with pytest.raises(Invalid, match="digital") as kind:
        change_product(shop, monthly, "BOX")
    assert kind.value.code == "kind_mismatch"
    with pytest.raises(Invalid) as currency:
        change_product(shop, monthly, "EURO")
    assert currency.value.code == "currency_mismatch"
    with pytest.raises(Invalid) as declined:
        change_product(shop, monthly, "PREMIUM", prorated=False)
    assert declined.value.code == "refund_required"
    with Session(shop["engine"]) as s:
        other, other_owner = factories.account(s, shop["clock"].now(), nickname="other", tz="UTC")
        factories.product(s, shop["clock"].now(), other_owner, other, sku="ELSEWHERE")
        s.commit()
    with pytest.raises(NotFound):
        change_product(shop, monthly, "ELSEWHERE")
    # physical: the new product must ship everywhere the old one does; the refund may be declined
    box = buy(shop, "BOX", utc(2026, 6, 3), shipping={"name": "B", "line1": "1 Main", "city": "X",
                                                      "postal_code": "1", "country": "CA"})
    with pytest.raises(Invalid) as ships:
        change_product(shop, box, "BOX-US")
    assert ships.value.code == "ship_to_mismatch"
    assert change_product(shop, box, "BOX-WIDE", prorated=False) == 0


def test_r7_change_bill_date_moves_later_bills(shop, monthly):
    move(shop, utc(2026, 6, 10))
    with pytest.raises(Invalid) as past:
        run(shop, subscriptions.change_bill_date, monthly, day=date(2026, 6, 10))
    assert past.value.code == "date_not_future"
    with pytest.raises(Invalid) as far:  # the pages go through the service: the same 2-year bound as the API
        run(shop, subscriptions.change_bill_date, monthly, day=date(2028, 6, 12))
    assert far.value.code == "date_out_of_range" and "within 2 years" in far.value.message
    run(shop, subscriptions.change_bill_date, monthly, day=date(2026, 7, 20))
    move(shop, utc(2026, 8, 21))
    assert [b.scheduled_date for b in bills(shop, monthly)][2:] == [date(2026, 7, 20), date(2026, 8, 20)]


def test_r7_extend_adds_periods_only_to_fixed_count(shop, monthly):
    product(shop, "THREE", initial=1000, rebill=1000, rebills=3)
    fixed = buy(shop, "THREE", utc(2026, 6, 3))
    run(shop, subscriptions.extend, fixed, periods=2)
    sub = sub_of(shop, fixed)
    assert (sub.rebills_total, sub.payments_remaining) == (5, 5)
    with pytest.raises(Invalid) as zero:
        run(shop, subscriptions.extend, fixed, periods=0)
    assert zero.value.code == "invalid_periods"
    with pytest.raises(Invalid) as open_ended:
        run(shop, subscriptions.extend, monthly, periods=1)
    assert open_ended.value.code == "not_fixed_count"
    move(shop, utc(2026, 12, 1))
    assert len(bills(shop, fixed)) == 6 and sub_of(shop, fixed).status == "completed"


def cancel(shop, receipt, at, reason="cancel_ticket"):
    move(shop, at)
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        sub = s.exec(select(Subscription).where(Subscription.order_id == order.id)).one()
        billing.cancel(s, sub=sub, at=at, reason=reason)
        s.commit()


def test_r7_reinstate_before_the_next_scheduled_payment_keeps_that_date(shop, monthly):
    cancel(shop, monthly, utc(2026, 6, 10))
    move(shop, utc(2026, 6, 20))
    assert run(shop, subscriptions.reinstate, monthly) == date(2026, 7, 1)
    move(shop, utc(2026, 7, 2))
    assert bills(shop, monthly)[2].scheduled_date == date(2026, 7, 1)
    with Session(shop["engine"]) as s:
        assert [r.event_type for r in s.exec(select(InsOutbox))] == []  # no INS URL set: nothing queued


def test_r7_reinstate_after_the_scheduled_payment_bills_tomorrow(shop, monthly):
    cancel(shop, monthly, utc(2026, 6, 10))
    move(shop, utc(2026, 7, 5, 15))
    assert run(shop, subscriptions.reinstate, monthly) == date(2026, 7, 6)
    move(shop, utc(2026, 8, 7))
    assert [b.scheduled_date for b in bills(shop, monthly)][2:] == [date(2026, 7, 6), date(2026, 8, 6)]


def test_r7_reinstate_only_within_60_days_whatever_canceled_it(shop, monthly):
    cancel(shop, monthly, utc(2026, 6, 10))
    move(shop, utc(2026, 6, 10) + timedelta(days=60, seconds=1))
    with pytest.raises(Conflict) as late:
        run(shop, subscriptions.reinstate, monthly)
    assert late.value.code == "not_reinstatable"
    other = buy(shop, "MONTHLY", utc(2026, 8, 10))
    cancel(shop, other, utc(2026, 8, 11), reason="refund")
    assert run(shop, subscriptions.reinstate, other) == date(2026, 9, 10)  # R7: a refund's cancel too
    with pytest.raises(Conflict):  # an active subscription is not reinstated either
        run(shop, subscriptions.reinstate, buy(shop, "MONTHLY", utc(2026, 8, 12)))


def test_r7_shipping_address_only_for_physical_and_checked(shop, monthly):
    physical(shop, "BOX", rebill=2000, ship_to=["US"])
    box = buy(shop, "BOX", utc(2026, 6, 3), shipping={"name": "B", "line1": "1 Main", "city": "X",
                                                      "postal_code": "1", "country": "US"})
    new = {"name": "B", "line1": "2 Oak", "city": "Y", "postal_code": "2", "country": "us"}
    assert run(shop, subscriptions.change_shipping, box, address=new)["country"] == "US"
    with pytest.raises(Invalid) as abroad:
        run(shop, subscriptions.change_shipping, box, address={**new, "country": "FR"})
    assert abroad.value.code == "does_not_ship_there"
    with pytest.raises(Invalid):
        run(shop, subscriptions.change_shipping, monthly, address=new)


def test_r8_subscription_management_role_and_account_are_checked(shop, monthly):
    now = shop["clock"].now()
    with Session(shop["engine"]) as s:
        acct = s.get(VendorAccount, shop["account_id"])
        ticket_clerk = factories.clerk(s, now, acct, roles=(Role.MANAGE_TICKETS, Role.MANAGE_ORDERS))
        sub_clerk = factories.clerk(s, now, acct, roles=(Role.MANAGE_TICKETS, Role.MANAGE_ORDERS,
                                                         Role.SUBSCRIPTION_MANAGEMENT))
        _, stranger = factories.account(s, now, nickname="stranger", tz="UTC")
        s.commit()
    calls = [lambda s, a: subscriptions.extend(s, now=now, actor=a, receipt=monthly, periods=1),
             lambda s, a: subscriptions.change_bill_date(s, now=now, actor=a, receipt=monthly, day=date(2026, 7, 9)),
             lambda s, a: subscriptions.reinstate(s, now=now, actor=a, receipt=monthly),
             lambda s, a: subscriptions.options(s, now=now, actor=a, receipt=monthly),
             lambda s, a: subscriptions.preview_change_product(s, now=now, actor=a, receipt=monthly, sku="PREMIUM")]
    for call in calls:
        with Session(shop["engine"]) as s:
            with pytest.raises(Forbidden):
                call(s, ticket_clerk)
            with pytest.raises(NotFound):
                call(s, stranger)
    with Session(shop["engine"]) as s:
        assert subscriptions.options(s, now=now, actor=sub_clerk, receipt=monthly)["change_bill_date"] is True


def test_a_clerk_racing_the_rebill_worker_gets_a_conflict(shop, monthly):
    with Session(shop["engine"]) as s:
        stale = subscriptions.load(s, actor=shop["owner"], receipt=monthly).sub
        s.expunge(stale)
    with Session(shop["engine"]) as s:  # the worker moved the subscription on meanwhile
        s.execute(update(Subscription).where(Subscription.id == stale.id).values(
            next_charge_at=stale.next_charge_at + timedelta(days=1)))
        s.commit()
    with Session(shop["engine"]) as s, pytest.raises(Conflict) as lost:
        subscriptions._cas(s, stale, payments_remaining=3)
    assert lost.value.code == "subscription_changed"


def test_options_offer_only_what_is_allowed(shop, monthly):
    with Session(shop["engine"]) as s:
        offered = subscriptions.options(s, now=shop["clock"].now(), actor=shop["owner"], receipt=monthly)
    assert [p["sku"] for p in offered["products"]] == ["PREMIUM"]
    assert (offered["reinstate"], offered["extend"], offered["shipping"], offered["refund_optional"]) == (
        False, False, False, False)
    cancel(shop, monthly, utc(2026, 6, 10))
    with Session(shop["engine"]) as s:
        offered = subscriptions.options(s, now=shop["clock"].now(), actor=shop["owner"], receipt=monthly)
    assert (offered["reinstate"], offered["change_product"], offered["change_bill_date"]) == (True, False, False)
