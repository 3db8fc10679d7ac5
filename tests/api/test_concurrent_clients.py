"""The API under concurrent clients, over real HTTP against its own server process on the
embedded SQLite default (issue "API under load": 20 concurrent readers of
`GET /orders/{receipt}` got `database is locked`; issue "hostile input": concurrent
hostile lookups). Not timed: only the statuses are asserted."""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.server import ROOT, free_port

VISA = {"type": "card", "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("load")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CBPORTAL_BASE_URL": base, "CBPORTAL_VAR_DIR": str(var), "CBPORTAL_TEST_MODE": "1",
           "DATABASE_URL": f"sqlite:///{var / 'load.db'}", "PYTHONPATH": str(ROOT)}
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
        yield {"base": base, "log": var / "server.log"}
    finally:
        proc.terminate()
        proc.wait(15)


def call(base, method, path, body=None, key=None, raw: bytes | None = None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(f"{base}/api/v1{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


@pytest.fixture(scope="module")
def shop(server):
    base = server["base"]
    status, reset = call(base, "POST", "/test/reset")
    assert status == 200
    staff = reset["staff_api_key"]
    status, acct = call(base, "POST", "/accounts", {"nickname": "load", "account_email": "o@load.test"}, staff)
    assert status == 201, acct
    owner = acct["owner_api_key"]
    product = {"sku": "LOAD", "account": "load", "title": "Load", "kind": "digital", "currency": "USD",
               "initial_price_cents": 2995, "commission_initial_pct": 55, "commission_rebill_pct": 55,
               "recurring": {"rebill_price_cents": 995, "frequency": {"unit": "month", "count": 1}, "rebills": 11}}
    assert call(base, "POST", "/products", product, owner)[0] == 201
    assert call(base, "POST", "/products/LOAD/approve", None, staff)[0] == 200
    status, order = call(base, "POST", "/orders", {"sku": "LOAD", "payment": VISA, "customer": {
        "email": "buyer@load.test", "name": "Buyer", "country": "US"}})
    assert status == 201, order
    return {"owner": owner, "receipt": order["receipt"]}


def test_fifty_concurrent_readers_on_sqlite_get_no_server_error(server, shop):
    """Issue 12 point 5: read routes take no write lock; 50 clients x 6 reads, all 200."""
    base, receipt, owner = server["base"], shop["receipt"], shop["owner"]

    def reader(n):
        statuses = []
        for _ in range(6):
            statuses.append(call(base, "GET", f"/orders/{receipt}", key=owner)[0])
            if n % 10 == 0:   # another read route in the mix
                statuses.append(call(base, "GET", "/products/LOAD", key=owner)[0])
        return statuses

    with ThreadPoolExecutor(50) as pool:
        statuses = [s for batch in pool.map(reader, range(50)) for s in batch]
    assert len(statuses) == 330 and set(statuses) == {200}
    assert "database is locked" not in server["log"].read_text()


HOSTILE_VALUES = ["\x00", "A\x00B", "x" * 100_000, "\r\nBcc: x@y", "\u202e\ufeff", "' OR 1=1 --", "%00", "..//",
                  10**40, -1, 1.5, True, None, [], {}, ["\x00"], {"$gt": ""}]


def test_fuzzed_concurrent_customer_lookups_never_get_a_server_error(server, shop):
    """Hostile bodies (NUL bytes, huge strings and numbers, wrong types, broken JSON) and
    wrong guesses, 400 of them from 40 threads at once: 200/404/422/429 only, never 5xx."""
    base, receipt = server["base"], shop["receipt"]
    rng = random.Random(14)
    bodies = []
    for n in range(400):
        kind = n % 5
        if kind == 0:
            bodies.append((None, b'{"receipt": "A\x00' + b"\xff\xfe" + b'"'))           # not JSON / not UTF-8
        elif kind == 1:
            bodies.append(({"receipt": rng.choice(HOSTILE_VALUES), "email": rng.choice(HOSTILE_VALUES)}, None))
        elif kind == 2:
            bodies.append(({"receipt": receipt, "email": rng.choice(HOSTILE_VALUES)}, None))
        elif kind == 3:
            bodies.append(({"receipt": f"Z{n:06d}", "email": "guess@load.test", "extra": rng.choice(HOSTILE_VALUES)},
                           None))
        else:
            bodies.append(({"receipt": receipt, "email": "buyer@load.test"}, None))

    def lookup(item):
        body, raw = item
        return call(base, "POST", "/customer/orders/lookup", body, raw=raw)

    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(lookup, bodies))
    statuses = sorted({status for status, _ in results})
    assert set(statuses) <= {200, 404, 422, 429}, statuses
    assert all(set(body) == {"error"} for status, body in results if status != 200)
    assert not [s for s, _ in results if s >= 500]


def test_fifty_customers_looking_up_their_orders_at_once_all_get_them(server, shop):
    """Issue 12 point 5: 50 customers (each their own address and order) look up at once,
    3 times each, on the embedded SQLite default with the stored test clock: all 200. The
    limit read that clock on the event loop and the sessions closed on the route threadpool,
    so 50 at once starved the connection pool and every lookup failed after 30 s."""
    base, port = server["base"], int(server["base"].rsplit(":", 1)[1])
    buyers = []
    for n in range(50):
        email = f"many{n}@load.test"
        status, order = call(base, "POST", "/orders", {"sku": "LOAD", "payment": VISA, "customer": {
            "email": email, "name": f"Many {n}", "country": "US"}})
        assert status == 201, order
        buyers.append((order["receipt"], email))

    def customer(n):
        receipt, email = buyers[n]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(f"127.0.0.{10 + n}", 0))
        statuses = []
        for _ in range(3):
            conn.request("POST", "/api/v1/customer/orders/lookup", json.dumps({"receipt": receipt, "email": email}),
                         {"Content-Type": "application/json"})
            response = conn.getresponse()
            statuses.append((response.status, json.loads(response.read())["receipt"]))
        conn.close()
        return statuses

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(customer, range(50)))
    assert results == [[(200, receipt)] * 3 for receipt, _ in buyers]
    assert "TimeoutError" not in server["log"].read_text()
