"""Money maths (RULES R1): integer cents, every percentage step rounded half up.

Pure functions, no database. Rates are basis points (5500 = 55.00 %).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

STOCKING_CHARGE_CENTS = 100
SMALL_REBILL_LIMIT_CENTS = 4000
SALE_WHOLESALE = Decimal("0.925")
SMALL_REBILL_WHOLESALE = Decimal("0.901")


def round_half_up(value: Decimal) -> int:
    """Round a Decimal amount of cents to a whole cent, half away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def net_cents(price_cents: int, *, rebill: bool) -> int:
    """Net sale amount for one bill (R1).

    Initial sales and rebills of $40.00 or more: round(price x 92.5 %) - $1.00.
    Rebills under $40.00: round(price x 90.1 %), no stocking charge.
    A free bill (price 0) nets 0; the net never goes below 0.
    """
    if price_cents < 0:
        raise ValueError("price cannot be negative")
    if price_cents == 0:
        return 0
    if rebill and price_cents < SMALL_REBILL_LIMIT_CENTS:
        return round_half_up(price_cents * SMALL_REBILL_WHOLESALE)
    return max(0, round_half_up(price_cents * SALE_WHOLESALE) - STOCKING_CHARGE_CENTS)


def commission_cents(net: int, rate_bp: int) -> int:
    """Affiliate commission on a net amount: round(net x rate) (R1)."""
    if not 0 <= rate_bp <= 10000:
        raise ValueError("commission rate must be between 0 and 100 %")
    return round_half_up(Decimal(net) * rate_bp / 10000)


def split_bill(price_cents: int, *, rebill: bool, commission_bp: int, affiliate: bool) -> tuple[int, int, int]:
    """(net, commission, vendor earnings) of one bill; no affiliate means no commission."""
    net = net_cents(price_cents, rebill=rebill)
    commission = commission_cents(net, commission_bp) if affiliate else 0
    return net, commission, net - commission


def remaining_days(*, today, next_bill_date) -> int:
    """Whole days left after the current day until the next bill date (R1)."""
    return max(0, (next_bill_date - today).days - 1)


def prorated_refund_cents(*, last_rebill_cents: int, remaining_days: int, period_days: int) -> int:
    """round(last_rebill x remaining_days / period_days), half up (R1, R7)."""
    if period_days <= 0:
        raise ValueError("period must be at least one day")
    remaining = min(max(remaining_days, 0), period_days)
    return round_half_up(Decimal(last_rebill_cents) * remaining / period_days)


def pct_to_bp(pct) -> int:
    """Turn a percentage such as 55 or "7.5" into basis points; at most two decimals."""
    value = Decimal(str(pct))
    bp = value * 100
    if bp != bp.to_integral_value() or not 0 <= bp <= 10000:
        raise ValueError("a percentage is between 0 and 100 with at most two decimals")
    return int(bp)


def format_cents(cents: int, currency: str = "USD") -> str:
    """Human text for an amount: $12.34 for USD, else '12.34 EUR'."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    if currency == "USD":
        return f"{sign}${whole:,}.{part:02d}"
    return f"{sign}{whole:,}.{part:02d} {currency}"


def units(cents: int) -> str:
    """Cents as a plain amount in currency units for files (CSV): 1234 -> '12.34', -5 -> '-0.05'."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"
