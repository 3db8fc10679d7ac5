"""Recurring billing on the test clock (RULES R1, R5, R6): the seed examples end to end."""

import threading
from datetime import date

import pytest
from sqlmodel import Session, select

from cbportal.models import Order, SandboxCharge
from cbportal.services.billing import charges as billing
from cbportal.services.billing import checkout
from cbportal.services.billing.gateways import PaymentInput
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core.clock import StoredClock
from cbportal.services.core.errors import Conflict, Invalid
from cbportal.services.engine import testmode
from tests.localstripe import browser_token
from tests.utils.billing import VISA, attempts, bills, buy, emails, move, product, sub_of, utc


def test_r1_seed_affiliate_total_over_the_whole_term(shop):
    product(shop, "PRO12", initial=2995, rebill=995, rebills=11)
    receipt = buy(shop, "PRO12", utc(2026, 1, 15, 10), affiliate="aff1")
    move(shop, utc(2027, 1, 20))
    paid = bills(shop, receipt)
    assert [b.status for b in paid] == ["paid"] * 12
    assert (paid[0].net_cents, paid[0].commission_cents, paid[0].vendor_cents) == (2670, 1469, 1201)
    assert all((b.net_cents, b.commission_cents, b.vendor_cents) == (896, 493, 403) for b in paid[1:])
    assert sum(b.commission_cents for b in paid) == 6892
    assert [b.scheduled_date for b in paid][:3] == [date(2026, 1, 15), date(2026, 2, 15), date(2026, 3, 15)]
    assert sub_of(shop, receipt).status == "completed"
    assert len(emails(shop, "rebill_notice")) == 11
    assert [k for k, _ in emails(shop, "receipt")] == [date(2026, 1, 15)]
    assert emails(shop, "sale_notice")[0][1] == "owner@shop.test"


def test_r6_authorization_failures_june_1_4_8_15(shop):
    product(shop, "MONTHLY", initial=3000, rebill=3000)
    receipt = buy(shop, "MONTHLY", utc(2026, 5, 1, 9))
    with Session(shop["engine"]) as s:
        testmode.set_payment_behavior(s, receipt=receipt, behavior="insufficient_funds")
        s.commit()
    move(shop, utc(2026, 6, 30))
    june = bills(shop, receipt)[1]
    assert attempts(shop, june) == [(date(2026, 6, d), "insufficient_funds") for d in (1, 4, 8, 15)]
    assert [d for d, to in emails(shop, "payment_failed")] == [date(2026, 6, 8), date(2026, 6, 15)]
    sub = sub_of(shop, receipt)
    assert sub.status == "canceled" and sub.canceled_at == utc(2026, 6, 15)
    assert sorted(to for _, to in emails(shop, "subscription_canceled")) == ["buyer@example.test", "support@shop.test"]


def test_r6_retry_success_reanchors_the_schedule(shop):
    product(shop, "MONTHLY", initial=3000, rebill=3000)
    receipt = buy(shop, "MONTHLY", utc(2026, 5, 1, 9))
    with Session(shop["engine"]) as s:
        testmode.set_payment_behavior(s, receipt=receipt, behavior="insufficient_funds")
        s.commit()
    move(shop, utc(2026, 6, 5))                           # June 1 and June 4 failed
    with Session(shop["engine"]) as s:
        testmode.set_payment_behavior(s, receipt=receipt, behavior="ok")
        s.commit()
    move(shop, utc(2026, 6, 9))                           # June 8 succeeds
    sub = sub_of(shop, receipt)
    assert sub.status == "active" and sub.next_bill_date == date(2026, 7, 8)


def test_r6_card_validation_seed_may_1_to_aug_4(shop):
    product(shop, "FOUR", initial=3000, rebill=3000, rebills=3)
    receipt = buy(shop, "FOUR", utc(2026, 5, 1, 9))
    move(shop, utc(2026, 6, 2))
    with Session(shop["engine"]) as s:
        testmode.set_payment_behavior(s, receipt=receipt, behavior="invalid_card")
        s.commit()
    move(shop, utc(2026, 7, 4, 12))
    assert sorted(to for d, to in emails(shop, "card_invalid") if d == date(2026, 7, 1)) == [
        "buyer@example.test", "owner@shop.test"]
    outcome = checkout.update_card(shop["engine"], now=utc(2026, 7, 4, 12),
                                   gateway=SandboxGateway(shop["engine"], shop["clock"]), receipt=receipt,
                                   email="buyer@example.test", payment=VISA)
    assert outcome == "charged"
    assert sub_of(shop, receipt).next_bill_date == date(2026, 8, 4)
    move(shop, utc(2026, 9, 30))
    paid = bills(shop, receipt)
    assert [(b.scheduled_date, b.paid_at.date(), b.amount_cents) for b in paid] == [
        (date(2026, 5, 1), date(2026, 5, 1), 3000), (date(2026, 6, 1), date(2026, 6, 1), 3000),
        (date(2026, 7, 1), date(2026, 7, 4), 3000), (date(2026, 8, 4), date(2026, 8, 4), 3000)]
    sub = sub_of(shop, receipt)
    assert sub.status == "completed" and sub.completed_at == utc(2026, 8, 4)


def test_r6_card_validation_four_notices_then_cancel(shop):
    product(shop, "MONTHLY", initial=3000, rebill=3000)
    receipt = buy(shop, "MONTHLY", utc(2026, 6, 1, 9))
    with Session(shop["engine"]) as s:
        testmode.set_payment_behavior(s, receipt=receipt, behavior="invalid_card")
        s.commit()
    move(shop, utc(2026, 8, 15))
    customer_notices = [d for d, to in emails(shop, "card_invalid") if to == "buyer@example.test"]
    assert customer_notices == [date(2026, 7, 1), date(2026, 7, 8), date(2026, 7, 15), date(2026, 7, 22)]
    assert len(emails(shop, "card_invalid")) == 8                 # each copied to the vendor
    sub = sub_of(shop, receipt)
    assert sub.status == "canceled" and sub.canceled_at == utc(2026, 7, 29)
    assert attempts(shop, bills(shop, receipt)[1]) == [(date(2026, 7, 1), "invalid_card")]   # no blind retries


@pytest.mark.parametrize("start, unit, count, expected", [
    (utc(2026, 3, 31, 9), "month", 1, [date(2026, 4, 30), date(2026, 5, 30)]),
    (utc(2026, 7, 31, 9), "month", 2, [date(2026, 9, 30), date(2026, 11, 30)]),
    (utc(2026, 1, 31, 9), "month", 3, [date(2026, 4, 30)]),
])
def test_r5_clamp_examples_through_real_rebills(shop, start, unit, count, expected):
    product(shop, "CLAMP", initial=1000, rebill=1000, unit=unit, count=count, rebills=len(expected))
    receipt = buy(shop, "CLAMP", start)
    move(shop, utc(2027, 1, 1))
    assert [b.scheduled_date for b in bills(shop, receipt)[1:]] == expected


def test_r5_semi_annual_and_annual_clamps(shop):
    with Session(shop["engine"]) as s:
        from cbportal.models import VendorAccount

        s.get(VendorAccount, shop["account_id"]).admin_frequencies = True
        s.commit()
    product(shop, "SEMI", initial=1000, rebill=1000, count=6, rebills=2)
    receipt = buy(shop, "SEMI", utc(2026, 8, 31, 9))
    move(shop, utc(2027, 9, 1))
    assert [b.scheduled_date for b in bills(shop, receipt)[1:]] == [date(2027, 2, 28), date(2027, 8, 28)]


def test_r5_free_trial(shop):
    product(shop, "TRIAL", initial=0, rebill=4900, trial=14, rebills=2)
    receipt = buy(shop, "TRIAL", utc(2026, 2, 1, 9))
    assert bills(shop, receipt) == []
    assert sub_of(shop, receipt).next_bill_date == date(2026, 2, 15)
    move(shop, utc(2026, 3, 20))
    assert [(b.scheduled_date, b.amount_cents, b.status) for b in bills(shop, receipt)] == [
        (date(2026, 2, 15), 4900, "paid"), (date(2026, 3, 15), 4900, "paid")]


def test_r5_reminders_n_days_before(shop):
    with Session(shop["engine"]) as s:
        from cbportal.models import VendorAccount

        s.get(VendorAccount, shop["account_id"]).reminder_days = 3
        s.commit()
    product(shop, "REMIND", initial=1000, rebill=1000, rebills=2)
    buy(shop, "REMIND", utc(2026, 2, 10, 9))
    move(shop, utc(2026, 4, 30))
    assert [d for d, _ in emails(shop, "rebill_reminder")] == [date(2026, 3, 7), date(2026, 4, 7)]


def test_r5_quarterly_reminder_cannot_be_off(shop):
    product(shop, "QTR", initial=1000, rebill=1000, count=3, rebills=1)          # reminder_days = 0 on this account
    buy(shop, "QTR", utc(2026, 1, 10, 9))
    move(shop, utc(2026, 4, 30))
    assert [d for d, _ in emails(shop, "rebill_reminder")] == [date(2026, 4, 3)]


def test_checkout_errors(shop):
    product(shop, "PRO", initial=1000, rebill=1000)
    gw = SandboxGateway(shop["engine"], shop["clock"])
    now = shop["clock"].now()
    who = checkout.CustomerInput("buyer@example.test", "Buyer", "US")
    with pytest.raises(Invalid):
        checkout.checkout(shop["engine"], now=now, gateway=gw, sku="PRO", customer=who,
                          payment=PaymentInput(type="card", card_number="4000000000000069", exp_month=1, exp_year=2030))
    with pytest.raises(Conflict) as err:
        checkout.checkout(shop["engine"], now=now, gateway=gw, sku="PRO", customer=who,
                          payment=PaymentInput(type="card", card_number="4000000000009995", exp_month=1, exp_year=2030))
    assert err.value.code == "payment_declined"
    with pytest.raises(Invalid):
        checkout.checkout(shop["engine"], now=now, gateway=gw, sku="PRO",
                          customer=checkout.CustomerInput("x", "", "US"), payment=VISA)
    assert checkout.checkout(shop["engine"], now=now, gateway=gw, sku="PRO", customer=who,
                             payment=PaymentInput(type="paypal"))


def test_r6_worker_killed_after_charging_charges_once(shop):
    product(shop, "PRO", initial=1000, rebill=1000)
    receipt = buy(shop, "PRO", utc(2026, 1, 10, 9))
    engine = shop["engine"]

    class Crash(SandboxGateway):
        def charge(self, **kw):
            super().charge(**kw)
            raise SystemExit("killed")

    with Session(engine) as s:
        StoredClock.move(s, utc(2026, 2, 10))
        s.commit()
    with pytest.raises(SystemExit):
        billing.run_rebills(engine, utc(2026, 2, 10), gateway=Crash(engine, shop["clock"]))
    assert billing.run_rebills(engine, utc(2026, 2, 10, 0, 1), gateway=SandboxGateway(engine, shop["clock"])) == 0
    assert billing.run_rebills(engine, utc(2026, 2, 10) + billing.LEASE,
                               gateway=SandboxGateway(engine, shop["clock"])) == 1
    with Session(engine) as s:
        charges = s.exec(select(SandboxCharge).where(SandboxCharge.kind == "charge")).all()
    assert len(charges) == 2                                   # the initial sale and one rebill, not two
    assert [b.status for b in bills(shop, receipt)] == ["paid", "paid"]


def test_two_workers_charge_every_due_bill_exactly_once(shop):
    product(shop, "PRO", initial=1000, rebill=1000)
    receipts = [buy(shop, "PRO", utc(2026, 1, 10, 9)) for _ in range(25)]
    engine, due = shop["engine"], utc(2026, 2, 10)
    errors = []

    def run():
        try:
            billing.run_rebills(engine, due, gateway=SandboxGateway(engine, shop["clock"]))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    with Session(engine) as s:
        assert len(s.exec(select(SandboxCharge).where(SandboxCharge.kind == "charge")).all()) == 50
    assert all([b.status for b in bills(shop, r)] == ["paid", "paid"] for r in receipts)


def test_stripe_gateway_through_checkout_and_rebills(shop, request):
    """The same flows on the Stripe gateway (localstripe on loopback): sale, rebill, decline."""
    stripe_base = request.getfixturevalue("localstripe")
    from cbportal.services.billing.gateways.stripe_gateway import StripeGateway

    gateway = StripeGateway(api_key="sk_test_cbportal", api_base=stripe_base, publishable_key="pk_test_cbportal")

    def card(number):                              # what the page posts: a token from Stripe.js, no card number
        return PaymentInput(type="card", payment_method=browser_token(gateway, stripe_base, card=number))

    product(shop, "PRO", initial=2995, rebill=995)
    engine = shop["engine"]
    receipt = checkout.checkout(engine, now=utc(2026, 1, 10, 9), gateway=gateway, sku="PRO",
                                customer=checkout.CustomerInput("s@example.test", "S", "US"),
                                payment=card("4242424242424242"))
    declining = checkout.checkout(engine, now=utc(2026, 1, 10, 9), gateway=gateway, sku="PRO",
                                  customer=checkout.CustomerInput("d@example.test", "D", "US"),
                                  payment=card("4242424242424242"))
    with Session(engine) as s:                    # switch the second customer to a card that attaches, then declines
        from cbportal.models import PaymentMethod

        order = s.exec(select(Order).where(Order.receipt == declining)).one()
        bad = gateway.save_method(card("4000000000000341"))
        method = s.get(PaymentMethod, order.payment_method_id)
        method.gateway_customer_ref, method.gateway_method_ref = bad.customer_ref, bad.method_ref
        s.add(method)
        s.commit()
    billing.run_rebills(engine, utc(2026, 2, 10), gateway=gateway)
    assert [b.status for b in bills(shop, receipt)] == ["paid", "paid"]
    assert [b.status for b in bills(shop, declining)] == ["paid", "failed"]
    assert sub_of(shop, declining).dunning_kind == "authorization"
