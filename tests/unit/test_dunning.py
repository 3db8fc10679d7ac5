"""R6 schedules: the seed's June 1/4/8/15 timeline and the weekly card notices."""

from datetime import date

from cbportal.services.billing import dunning


def test_r6_authorization_failures_june_timeline():
    assert dunning.auth_attempt_dates(date(2026, 6, 1)) == [
        date(2026, 6, 1), date(2026, 6, 4), date(2026, 6, 8), date(2026, 6, 15)]


def test_r6_fourth_failure_cancels():
    assert dunning.next_auth_retry(4, date(2026, 6, 15)) is None


def test_r6_customer_emailed_after_third_and_fourth_failure_only():
    assert [n for n in range(1, 5) if dunning.auth_failure_emails_customer(n)] == [3, 4]


def test_r6_card_validation_four_weekly_notices_then_cancel():
    assert dunning.card_timeline(date(2026, 7, 1)) == [
        ("notice", date(2026, 7, 1)), ("notice", date(2026, 7, 8)), ("notice", date(2026, 7, 15)),
        ("notice", date(2026, 7, 22)), ("cancel", date(2026, 7, 29))]
