"""API: the owner sets the account's holiday calendar and closed dates on the settings
route (API.md accounts), and new ticket timers skip those days (RULES R2, R3)."""

import pytest
from sqlmodel import Session

from cbportal.services.tickets import lifecycle as tickets
from tests.utils.api import bearer, customer_open


@pytest.fixture
def shop(ticket_shop):
    """This module's shop: acme with its keys and one paid recurring order (tests.utils.api)."""
    return ticket_shop


def settings(client, key, body):
    return client.post("/api/v1/accounts/acme/settings", json=body, headers=bearer(key))


def test_r2_owner_sets_calendar_and_closed_dates_and_tickets_skip_them(client, shop, engine):
    owner = shop["keys"]["owner"]
    r = settings(client, owner, {"holiday_country": "us", "holiday_region": "ny",
                                 "closed_dates": [{"date": "2026-01-06", "label": "Staff retreat"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["holiday_country"], body["holiday_region"]) == ("US", "NY")
    assert body["closed_dates"] == [{"date": "2026-01-06", "label": "Staff retreat"}]
    assert body["time_zone"] == "America/New_York"
    # Opened Mon 00:00 UTC = Sun 19:00 New York: 24 business hours from Mon 00:00 there,
    # Tue closed -> Wed 00:00 New York = 05:00 UTC.
    t = customer_open(client, shop).json()
    assert t["process_at"] == "2026-01-07T05:00:00Z"
    with Session(engine) as s:   # what the ticket pages show beside the countdown
        assert tickets.ticket_view(s, tickets.get_ticket(s, t["id"]))["process_why"] == \
            "24 business hours; weekend hours do not count; paused for Staff retreat (Tue Jan 6)"
    # Other settings leave the calendar alone; clearing the country clears the region.
    assert settings(client, owner, {"reminder_days": 5}).json()["holiday_region"] == "NY"
    r = settings(client, owner, {"holiday_country": None, "closed_dates": []})
    assert (r.json()["holiday_country"], r.json()["holiday_region"], r.json()["closed_dates"]) == (None, None, [])


def test_r2_calendar_input_errors(client, shop):
    owner = shop["keys"]["owner"]
    for body, code in (({"holiday_country": "XX"}, "invalid_holiday_country"),
                       ({"holiday_country": "US", "holiday_region": "ZZ"}, "invalid_holiday_region"),
                       ({"holiday_region": "NY"}, "invalid_holiday_region"),
                       ({"closed_dates": [{"date": "2026-12-24"}, {"date": "2026-12-24"}]}, "duplicate_closed_date")):
        r = settings(client, owner, body)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (body, r.text)
        assert "_" not in r.json()["error"]["message"].split("'")[0]   # a sentence, not a code name
    r = settings(client, owner, {"closed_dates": [{"date": "24.12.2026"}]})
    assert r.status_code == 422
    r = settings(client, shop["keys"]["clerk"], {"holiday_country": "US"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "owner_only"
    r = settings(client, shop["keys"]["other"], {"holiday_country": "US"})
    assert r.status_code == 404
