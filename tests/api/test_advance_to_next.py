"""Test mode: POST /api/v1/test/clock/advance-to-next moves the stored test clock to the
next due instant of any kind and says what was due and what ran (RULES R2 test clock)."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from cbportal.models import Opener, Product, VendorAccount
from cbportal.services.core.clock import StoredClock
from cbportal.services.tickets import lifecycle as tickets
from tests import factories
from tests.utils.api import customer_open

ADVANCE = "/api/v1/test/clock/advance-to-next"


@pytest.fixture
def shop(ticket_shop):
    """This module's shop: acme with its keys and one paid recurring order (tests.utils.api)."""
    return ticket_shop


def test_r2_nothing_scheduled_keeps_the_clock(client, staff_key):
    r = client.post(ADVANCE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["previous"], body["now"], body["next_due"], body["processed"]) == (
        "2026-01-05T00:00:00Z", "2026-01-05T00:00:00Z", None, 0)
    assert body["summary"] == "Nothing is scheduled: the clock stays where it is."


def test_r2_advance_runs_each_next_event_in_turn(client, shop, engine):
    # The fixture's order was paid Jan 2: its first rebill is due Feb 1 (local 00:00 New York).
    assert customer_open(client, shop).status_code == 201          # refund: processes Tue 05:00 UTC
    # 1) the two ticket_opened emails are due now: they are sent, the clock stays.
    body = client.post(ADVANCE).json()
    assert (body["previous"], body["now"]) == ("2026-01-05T00:00:00Z", "2026-01-05T00:00:00Z")
    assert body["due"] == [{"kind": "email", "count": 2}]
    assert body["ran"] == [{"kind": "email", "count": 2}] and body["processed"] == 2
    assert body["summary"] == ("The clock stays at Mon 2026-01-05 00:00 UTC. Due then: 2 emails. "
                               "Ran: email 2 (2 in all).")
    # 2) the refund ticket at Tue 05:00 UTC: processed, and its emails go out at the same instant.
    body = client.post(ADVANCE).json()
    assert (body["now"], body["next_due"]) == ("2026-01-06T05:00:00Z", "2026-01-06T05:00:00Z")
    assert body["due"] == [{"kind": "ticket_refund", "count": 1}]
    ran = {r["kind"]: r["count"] for r in body["ran"]}
    assert ran["tickets"] == 1 and ran["email"] == 4      # refund_confirmation + subscription_canceled, x2
    assert body["summary"].startswith("Moved the clock to Tue 2026-01-06 05:00 UTC. Due then: 1 refund ticket.")
    r = client.get(f"/api/v1/test/outbox?receipt={shop['receipt']}&kind=refund_confirmation")
    assert [m["sent_at"] for m in r.json()] == ["2026-01-06T05:00:00Z"] * 2
    # 3) the refund canceled the subscription: nothing is left to do.
    assert client.post(ADVANCE).json()["next_due"] is None
    assert client.get("/api/v1/test/clock").json()["now"] == "2026-01-06T05:00:00Z"


def test_r2_advance_stops_at_the_first_of_two_instants(client, shop, engine):
    now = StoredClock(engine).now()
    with Session(engine) as s:          # a second order whose customer opens a support ticket
        account = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
        prod = s.exec(select(Product).where(Product.sku == "PRO")).one()
        order = factories.order(s, engine, StoredClock(engine), prod, account, paid_at=now - timedelta(days=1),
                                email="second@example.test")
        tickets.open_ticket(s, now=now, order=order, type="tech_support", who=tickets.CUSTOMER,
                            opener=Opener.CUSTOMER)
        s.commit()
    assert customer_open(client, shop).status_code == 201
    client.post(ADVANCE)                                             # the opening emails
    body = client.post(ADVANCE).json()                               # refund first (Tue), not the +48 h warning
    assert body["now"] == "2026-01-06T05:00:00Z" and body["due"] == [{"kind": "ticket_refund", "count": 1}]
    body = client.post(ADVANCE).json()                               # then the inactivity warning at +48 h
    assert body["now"] == "2026-01-07T00:00:00Z"
    assert body["due"] == [{"kind": "ticket_inactivity", "count": 1}]
    assert {r["kind"]: r["count"] for r in body["ran"]} == {"tickets": 1, "email": 2}
