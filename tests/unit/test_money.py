"""R1 money: the seed's worked example exactly, rounding, proration properties."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbportal.services.core import money


def test_r1_seed_example_initial_sale():
    net = money.net_cents(2995, rebill=False)
    assert net == 2670                         # round(2770.375) - 100
    assert money.commission_cents(net, 5500) == 1469


def test_r1_seed_example_rebill_under_40():
    net = money.net_cents(995, rebill=True)
    assert net == 896                          # round(896.495), no stocking charge
    assert money.commission_cents(net, 5500) == 493


def test_r1_seed_example_affiliate_total_over_term():
    initial = money.split_bill(2995, rebill=False, commission_bp=5500, affiliate=True)
    rebill = money.split_bill(995, rebill=True, commission_bp=5500, affiliate=True)
    assert initial == (2670, 1469, 1201)
    assert rebill == (896, 493, 403)
    assert initial[1] + 11 * rebill[1] == 6892


@pytest.mark.parametrize("price, rebill, net", [
    (4000, True, 3600),     # rebill of exactly $40 uses 92.5 % - $1
    (3999, True, 3603),     # under $40: 90.1 %, round(3603.099)
    (4000, False, 3600),
    (10000, True, 9150),
    (0, False, 0),          # free trial initial
    (100, False, 0),        # never below zero
    (2, True, 2),           # round(1.802)
])
def test_r1_net_rules(price, rebill, net):
    assert money.net_cents(price, rebill=rebill) == net


def test_r1_rounds_half_up_not_to_even():
    assert money.round_half_up(Decimal("2.5")) == 3
    assert money.round_half_up(Decimal("3.5")) == 4
    assert money.commission_cents(1, 5000) == 1      # 0.5 -> 1


def test_r1_no_affiliate_no_commission():
    assert money.split_bill(2995, rebill=False, commission_bp=5500, affiliate=False) == (2670, 0, 2670)


def test_r1_prorated_refund_exact():
    # Bill of $9.95 on Jan 10, next bill Feb 10 (31 days); today Jan 20: 20 days remain after today.
    remaining = money.remaining_days(today=date(2026, 1, 20), next_bill_date=date(2026, 2, 10))
    assert remaining == 20
    assert money.prorated_refund_cents(last_rebill_cents=995, remaining_days=remaining, period_days=31) == 642


def test_r1_prorated_refund_nothing_left_on_the_eve():
    assert money.remaining_days(today=date(2026, 2, 9), next_bill_date=date(2026, 2, 10)) == 0
    assert money.remaining_days(today=date(2026, 2, 12), next_bill_date=date(2026, 2, 10)) == 0


@given(amount=st.integers(0, 10**7), period=st.integers(1, 400), offset=st.integers(-50, 450))
def test_r1_proration_between_zero_and_the_rebill(amount, period, offset):
    today = date(2026, 1, 1)
    remaining = money.remaining_days(today=today, next_bill_date=today + timedelta(days=offset))
    refund = money.prorated_refund_cents(last_rebill_cents=amount, remaining_days=remaining, period_days=period)
    assert 0 <= refund <= amount


@given(price=st.integers(0, 10**8), rate=st.integers(0, 10000), rebill=st.booleans())
def test_r1_split_adds_up_and_is_never_negative(price, rate, rebill):
    net, commission, vendor = money.split_bill(price, rebill=rebill, commission_bp=rate, affiliate=True)
    assert net + 0 <= price
    assert 0 <= commission <= net
    assert vendor == net - commission >= 0


@pytest.mark.parametrize("pct, bp", [(55, 5500), ("7.5", 750), (0, 0), (100, 10000), ("12.25", 1225)])
def test_pct_to_bp(pct, bp):
    assert money.pct_to_bp(pct) == bp


@pytest.mark.parametrize("pct", [-1, 101, "1.234", "abc"])
def test_pct_to_bp_refuses(pct):
    with pytest.raises((ValueError, InvalidOperation)):  # "abc" is not a number at all
        money.pct_to_bp(pct)


def test_format_cents():
    assert money.format_cents(689200) == "$6,892.00"
    assert money.format_cents(5, "EUR") == "0.05 EUR"
