"""API: ticket routes for vendors and customers, each success and error code (API.md, R3)."""

import pytest

from tests.utils.api import bearer, customer_open


@pytest.fixture
def shop(ticket_shop):
    """This module's shop: acme with its keys and one paid recurring order (tests.utils.api)."""
    return ticket_shop


def test_customer_opens_views_and_replies(client, shop):
    r = customer_open(client, shop)
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["type"], t["status"], t["opened_by"]) == ("refund", "open", "customer")
    # Mon 00:00 UTC is Sun 19:00 in New York: the 24 business hours start Mon 00:00 there (05:00 UTC)
    assert t["process_at"] == "2026-01-06T05:00:00Z"
    r = client.post(f"/api/v1/customer/tickets/{t['id']}/view", json={"email": shop["email"]})
    assert r.status_code == 200 and r.json()["comments"][0]["body"] == "It does not work"
    r = client.post(f"/api/v1/customer/tickets/{t['id']}/comments", json={"email": shop["email"], "body": "Hello?"})
    assert r.status_code == 200 and [c["author"] for c in r.json()["comments"]] == ["customer", "customer"]


def test_customer_errors(client, shop):
    r = client.post("/api/v1/customer/tickets",
                    json={"receipt": shop["receipt"], "email": "x@y.test", "type": "refund"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "order_not_found"
    assert customer_open(client, shop).status_code == 201
    r = customer_open(client, shop, "tech_support")
    assert r.status_code == 409 and r.json()["error"]["code"] == "ticket_already_open"
    assert "#" in r.json()["error"]["message"]
    r = client.post("/api/v1/customer/tickets", json={"receipt": shop["receipt"], "email": shop["email"], "type": "x"})
    assert r.status_code == 422
    r = client.post("/api/v1/customer/tickets/999/view", json={"email": shop["email"]})
    assert r.status_code == 404


def test_vendor_opens_with_key_and_reads(client, shop):
    r = client.post("/api/v1/tickets", json={"receipt": shop["receipt"], "type": "cancel",
                                            "reason": "duplicate_purchase"}, headers=bearer(shop["keys"]["owner"]))
    assert r.status_code == 201, r.text
    t = r.json()
    # R3/R2: 5 minutes after Sun 19:00 New York is still Sunday there: deferred to Mon 19:05 New York.
    assert t["opened_by"] == "api" and t["process_at"].startswith("2026-01-06T00:05:00")
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=bearer(shop["keys"]["owner"])).status_code == 200
    # another account's key: 404, not 403
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=bearer(shop["keys"]["other"])).status_code == 404
    # a clerk without Manage Tickets: 403
    r = client.get(f"/api/v1/tickets/{t['id']}", headers=bearer(shop["keys"]["clerk"]))
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_required"


def test_vendor_errors(client, shop):
    h = bearer(shop["keys"]["owner"])
    assert client.post("/api/v1/tickets", json={"receipt": "NOPE", "type": "refund"}, headers=h).status_code == 404
    r = client.post("/api/v1/tickets", json={"receipt": shop["receipt"], "type": "refund", "reason": "bored"},
                    headers=h)
    assert r.status_code == 422
    r = client.post("/api/v1/tickets", json={"receipt": shop["receipt"], "type": "refund"},
                    headers=bearer(shop["keys"]["other"]))
    assert r.status_code == 404
    assert client.post("/api/v1/tickets", json={"receipt": shop["receipt"], "type": "refund"}).status_code == 401


def test_vendor_close_needs_consent_then_customer_escalates_and_staff_refunds(client, shop):
    t = customer_open(client, shop).json()
    h = bearer(shop["keys"]["owner"])
    r = client.post(f"/api/v1/tickets/{t['id']}/close", json={"customer_consent": False}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "customer_consent_required"
    r = client.post(f"/api/v1/tickets/{t['id']}/close", json={"customer_consent": True}, headers=h)
    assert r.status_code == 200 and r.json()["close_reason"] == "vendor"
    r = client.post(f"/api/v1/customer/tickets/{t['id']}/escalate", json={"email": shop["email"], "comment": "No!"})
    assert r.status_code == 200 and r.json()["escalated"] is True
    r = client.post(f"/api/v1/tickets/{t['id']}/review", json={"decision": "refund"}, headers=h)
    assert r.status_code == 403
    r = client.post(f"/api/v1/tickets/{t['id']}/review", json={"decision": "refund", "flag_vendor": True},
                    headers=bearer(shop["staff"]))
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["type"] == "refund"
    r = client.put("/api/v1/test/clock", json={"now": "2026-01-05T00:00:01Z"})
    assert r.json()["processed"] >= 1
    r = client.get(f"/api/v1/tickets/{t['id']}", headers=h)
    assert (r.json()["status"], r.json()["close_reason"]) == ("closed", "processed")
    kinds = {m["kind"] for m in client.get(f"/api/v1/test/outbox?receipt={shop['receipt']}").json()}
    assert {"ticket_opened", "ticket_closed", "ticket_changed", "refund_confirmation",
            "subscription_canceled"} <= kinds


def test_customer_converts_to_tech_support_then_closes(client, shop):
    t = customer_open(client, shop).json()
    r = client.post(f"/api/v1/customer/tickets/{t['id']}/change-type", json={"email": shop["email"],
                                                                           "type": "tech_support"})
    assert r.status_code == 200 and r.json()["process_at"] is None
    r = client.post(f"/api/v1/customer/tickets/{t['id']}/change-type", json={"email": shop["email"],
                                                                           "type": "tech_support"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "same_type"
    r = client.post(f"/api/v1/customer/tickets/{t['id']}/close", json={"email": shop["email"]})
    assert r.status_code == 200 and r.json()["close_reason"] == "customer"
    r = client.post(f"/api/v1/customer/tickets/{t['id']}/comments", json={"email": shop["email"], "body": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "ticket_closed"
    r = client.post(f"/api/v1/customer/tickets/{t['id']}/escalate", json={"email": shop["email"], "comment": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_escalatable"


def test_refund_processes_on_the_test_clock(client, shop):
    t = customer_open(client, shop).json()
    r = client.put("/api/v1/test/clock", json={"now": "2026-01-06T04:59:59Z"})
    view = client.post(f"/api/v1/customer/tickets/{t['id']}/view", json={"email": shop["email"]})
    assert view.json()["status"] == "open"
    r = client.put("/api/v1/test/clock", json={"now": "2026-01-06T05:00:00Z"})
    assert r.status_code == 200 and r.json()["processed"] >= 1
    view = client.post(f"/api/v1/customer/tickets/{t['id']}/view", json={"email": shop["email"]}).json()
    assert view["status"] == "closed" and view["close_reason"] == "processed"
    confirmations = client.get(f"/api/v1/test/outbox?receipt={shop['receipt']}&kind=refund_confirmation").json()
    assert sorted(m["to"] for m in confirmations) == ["buyer@example.test", "support@acme.test"]
