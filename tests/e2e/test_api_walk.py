"""The REST API end to end over real HTTP (API.md): a third-party system walks a customer
refund ticket (open, vendor reply, processed on the test clock, RULES R3) and a dunning
timeline (RULES R6), checking the emails in the outbox. The API runs in its own server
process (granian, test mode) on its own database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.server import ROOT
from tests.e2e.server import free_port as _free_port

pytestmark = pytest.mark.e2e

VISA = {"type": "card", "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    var = tmp_path_factory.mktemp("api")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CBPORTAL_BASE_URL": base, "CBPORTAL_VAR_DIR": str(var), "CBPORTAL_TEST_MODE": "1",
           "DATABASE_URL": f"sqlite:///{var / 'api.db'}"}
    subprocess.run([sys.executable, "-m", "cbportal.cli", "migrate"], cwd=ROOT, env=env, check=True)
    with open(var / "server.log", "w") as log:  # the server writes to its own copy of the file
        proc = subprocess.Popen([str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host",
                                 "127.0.0.1", "--port", str(port), "--factory", "cbportal.api.app:build_api"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"the API did not start: {(var / 'server.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(15)


def call(base, method, path, body=None, key=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}/api/v1{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def outbox(base, receipt, kind):
    status, rows = call(base, "GET", f"/test/outbox?receipt={receipt}&kind={kind}")
    assert status == 200
    return sorted((m["to"], m["created_at"][:10]) for m in rows)


def test_refund_ticket_and_dunning_timeline_over_http(api):
    status, reset = call(api, "POST", "/test/reset")
    assert status == 200
    staff = reset["staff_api_key"]
    status, shop = call(api, "POST", "/accounts", {"nickname": "walk", "time_zone": "UTC",
                                                   "account_email": "owner@walk.test",
                                                   "customer_service_email": "help@walk.test"}, staff)
    assert status == 201, shop
    owner = shop["owner_api_key"]
    product = {"sku": "WALK", "account": "walk", "title": "Walk", "kind": "digital", "currency": "USD",
               "initial_price_cents": 3000, "commission_initial_pct": 50, "commission_rebill_pct": 50,
               "recurring": {"rebill_price_cents": 3000, "frequency": {"unit": "month", "count": 1}, "rebills": None}}
    assert call(api, "POST", "/products", product, owner)[0] == 201
    assert call(api, "POST", "/products/WALK/approve", None, staff)[0] == 200
    buyer = {"email": "buyer@example.test", "name": "Buyer", "country": "US"}

    # A refund ticket: the customer opens it (Mon 2026-01-05 00:00 UTC), the vendor replies,
    # and it is processed 24 business hours after the customer opened it (R3).
    status, first = call(api, "POST", "/orders", {"sku": "WALK", "customer": buyer, "payment": VISA})
    assert status == 201, first
    receipt = first["receipt"]
    status, ticket = call(api, "POST", "/customer/tickets", {"receipt": receipt, "email": buyer["email"],
                                                             "type": "refund", "comment": "Not for me."})
    assert status == 201, ticket
    assert ticket["process_at"].startswith("2026-01-06T00:00:00")
    assert call(api, "POST", f"/tickets/{ticket['id']}/comments", {"body": "Sorry to see you go."}, owner)[0] == 200
    assert call(api, "PUT", "/test/clock", {"now": "2026-01-06T00:00:01Z"})[0] == 200
    status, done = call(api, "GET", f"/tickets/{ticket['id']}", key=owner)
    assert (done["status"], done["close_reason"]) == ("closed", "processed")
    status, order = call(api, "GET", f"/orders/{receipt}", key=owner)
    assert order["bills"][0]["refunded_cents"] == 3000 and order["subscription"]["status"] == "canceled"
    assert outbox(api, receipt, "refund_confirmation") == [("buyer@example.test", "2026-01-06"),
                                                           ("help@walk.test", "2026-01-06")]

    # A dunning timeline: the rebill on Feb 6 fails, retries Feb 9, 13 and 20 (R6); the customer
    # is emailed after the 3rd and the 4th failure, which cancels the subscription.
    status, second = call(api, "POST", "/orders", {"sku": "WALK", "customer": buyer, "payment": VISA})
    receipt = second["receipt"]
    assert second["subscription"]["next_bill_date"] == "2026-02-06"
    assert call(api, "PUT", f"/test/orders/{receipt}/payment-behavior", {"behavior": "insufficient_funds"})[0] == 200
    assert call(api, "PUT", "/test/clock", {"now": "2026-03-01T00:00:00Z"})[0] == 200
    status, order = call(api, "GET", f"/orders/{receipt}", key=owner)
    assert [a["at"][:10] for a in order["bills"][1]["attempts"]] == ["2026-02-06", "2026-02-09", "2026-02-13",
                                                                     "2026-02-20"]
    assert order["subscription"]["status"] == "canceled"
    assert outbox(api, receipt, "payment_failed") == [("buyer@example.test", "2026-02-13"),
                                                      ("buyer@example.test", "2026-02-20")]
    assert outbox(api, receipt, "subscription_canceled") == [("buyer@example.test", "2026-02-20"),
                                                             ("help@walk.test", "2026-02-20")]
    assert call(api, "GET", f"/orders/{receipt}", key=staff)[0] == 200
    assert call(api, "GET", f"/orders/{receipt}")[0] == 401
