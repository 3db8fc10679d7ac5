"""Core maths speed: business-hours deadlines and bill-date schedules per second,
compared with plain timedelta addition (the ratio is what the calendar costs)."""

import time
from datetime import UTC, date, datetime, timedelta

from cbportal.services.core import calendar, money


def rate(fn, n):
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def main() -> None:
    t0 = datetime(2026, 1, 7, 10, tzinfo=UTC)
    n = 20_000
    bh = rate(lambda i: calendar.add_business_hours(t0 + timedelta(minutes=i), 24, "America/New_York"), n)
    plain = rate(lambda i: t0 + timedelta(minutes=i) + timedelta(hours=24), n)
    print(f"business-hours deadlines: {bh:,.0f}/s  (plain timedelta: {plain:,.0f}/s, ratio {plain / bh:,.0f}x)")
    nb = rate(lambda i: calendar.next_bill_date(date(2026, 1, 31), "month", 1 + i % 12), n)
    print(f"next bill dates: {nb:,.0f}/s")
    sp = rate(lambda i: money.split_bill(995 + i, rebill=True, commission_bp=5500, affiliate=True), n)
    print(f"bill splits (R1): {sp:,.0f}/s")


if __name__ == "__main__":
    main()
