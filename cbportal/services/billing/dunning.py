"""Billing-failure schedules (RULES R6). Pure functions, no database.

Authorization failures (declines): attempt 1 on the bill date, then retries 3, 4
and 7 days after the previous failure; the customer is emailed after the 3rd and
4th failure; the 4th cancels. Card-validation failures: no blind retries; 4 weekly
notices, then cancel 7 days after the 4th.
"""

from __future__ import annotations

from datetime import date, timedelta

AUTH_RETRY_GAPS_DAYS = (3, 4, 7)   # after failure 1, 2, 3
AUTH_MAX_FAILURES = 4
AUTH_EMAIL_AFTER_FAILURES = (3, 4)
CARD_NOTICES = 4
CARD_NOTICE_GAP_DAYS = 7
CARD_CANCEL_AFTER_LAST_NOTICE_DAYS = 7


def next_auth_retry(failures: int, last_failure: date) -> date | None:
    """The date of the next attempt after `failures` declines, or None: cancel."""
    if failures < 1:
        raise ValueError("no failure yet")
    if failures >= AUTH_MAX_FAILURES:
        return None
    return last_failure + timedelta(days=AUTH_RETRY_GAPS_DAYS[failures - 1])


def auth_failure_emails_customer(failures: int) -> bool:
    return failures in AUTH_EMAIL_AFTER_FAILURES


def auth_attempt_dates(first: date) -> list[date]:
    """All four attempt dates when every one fails: June 1 -> 1, 4, 8, 15."""
    dates = [first]
    while (nxt := next_auth_retry(len(dates), dates[-1])) is not None:
        dates.append(nxt)
    return dates


def next_card_step(notices_sent: int, last_notice: date) -> tuple[str, date]:
    """After `notices_sent` notices: ('notice', date) for the next one or ('cancel', date)."""
    if notices_sent < 1:
        raise ValueError("the first notice goes at once")
    if notices_sent < CARD_NOTICES:
        return "notice", last_notice + timedelta(days=CARD_NOTICE_GAP_DAYS)
    return "cancel", last_notice + timedelta(days=CARD_CANCEL_AFTER_LAST_NOTICE_DAYS)


def card_timeline(first_failure: date) -> list[tuple[str, date]]:
    """Every notice and the cancel when no new card comes: d, d+7, d+14, d+21, cancel d+28."""
    steps = [("notice", first_failure)]
    while steps[-1][0] == "notice":
        notices = sum(1 for kind, _ in steps if kind == "notice")
        steps.append(next_card_step(notices, steps[-1][1]))
    return steps
