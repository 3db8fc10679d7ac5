"""The REST API under concurrent clients (issue 12, point 6, last line).

One app process as production serves it (granian with the app factory, the API mounted on
the Reflex backend, embedded worker off), on SQLite (the embedded default) and on
PostgreSQL. C clients (1, 20, 50), each a thread with its own keep-alive connection from
its own loopback address (127.0.0.x: customers do not share one address, and the customer
routes count attempts per address), call one route for BENCH_API_SECONDS:
`GET /ping` (Reflex's, no database), `GET /api/v1/orders/{receipt}` (the owner's API key)
and `POST /api/v1/customer/orders/lookup` (receipt + email; each client its own order).
Printed: requests/s, p50 / p99 latency, errors (anything but a 200), and throughput as a
share of `/ping` at the same concurrency. Targets: 0 errors, p99 < 250 ms at 50 clients,
≥ 1/4 of `/ping`'s throughput.

BENCH_API_SECONDS (default 5), BENCH_API_CLIENTS (default "1,20,50"), BENCH_API_DATABASES
(default "sqlite,postgresql").
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from benchmarks.fixtures import PG_ADMIN, postgres_available, serve

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "5"))
CLIENTS = [int(n) for n in os.environ.get("BENCH_API_CLIENTS", "1,20,50").split(",")]
DATABASES = os.environ.get("BENCH_API_DATABASES", "sqlite,postgresql").split(",")
TARGETS = {"p99_ms_at_50": 250.0, "share_of_ping": 0.25}
VISA = {"type": "card", "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


@contextlib.contextmanager
def _app(kind: str) -> Iterator[tuple[str, int]]:
    """Serve the app on a fresh database of `kind`; yield (host, port)."""
    from tests.e2e.server import app_env

    var = Path(tempfile.mkdtemp(prefix="bench_api_"))
    name = f"cbportal_bench_api_{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        url = f"sqlite:///{var / 'api.db'}"
    else:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    env = app_env(var, url, CBPORTAL_WORKER="0", PYTHONPATH=str(ROOT))
    py = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([py, "-m", "cbportal.cli", "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    command = [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1",
               "--port", env["CBPORTAL_PORT"], "--workers", "1", "cbportal.cbportal:app"]
    try:
        with serve(command, env, var, ROOT):
            yield "127.0.0.1", int(env["CBPORTAL_PORT"])
    finally:
        if kind != "sqlite":
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _call(conn: http.client.HTTPConnection, method: str, path: str, body=None, key: str | None = None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def _shop(host: str, port: int, orders: int) -> dict:
    """A vendor, an approved product and `orders` orders, each with its own customer."""
    conn = http.client.HTTPConnection(host, port, timeout=60)

    def call(method, path, body=None, key=None, ok=(200, 201)):
        status, data = _call(conn, method, f"/api/v1{path}", body, key)
        if status not in ok:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data or b"null")

    staff = call("POST", "/test/reset")["staff_api_key"]
    owner = call("POST", "/accounts", {"nickname": "bench", "account_email": "o@bench.test"}, staff)["owner_api_key"]
    call("POST", "/products", {"sku": "BENCH", "account": "bench", "title": "Bench", "kind": "digital",
                               "currency": "USD", "initial_price_cents": 2995, "commission_initial_pct": 55,
                               "commission_rebill_pct": 55}, owner)
    call("POST", "/products/BENCH/approve", None, staff)
    buyers = []
    for n in range(orders):
        email = f"buyer{n}@bench.test"
        order = call("POST", "/orders", {"sku": "BENCH", "payment": VISA,
                                         "customer": {"email": email, "name": f"Buyer {n}", "country": "US"}})
        buyers.append((order["receipt"], email))
    conn.close()
    return {"owner": owner, "buyers": buyers}


def _route(name: str, shop: dict, n: int) -> tuple[str, str, dict | None, str | None]:
    """(method, path, body, key) client `n` sends on route `name`."""
    receipt, email = shop["buyers"][n % len(shop["buyers"])]
    if name == "ping":
        return "GET", "/ping", None, None
    if name == "order":
        return "GET", f"/api/v1/orders/{receipt}", None, shop["owner"]
    return "POST", "/api/v1/customer/orders/lookup", {"receipt": receipt, "email": email}, None


def _round(host: str, port: int, shop: dict, route: str, clients: int) -> dict:
    """`clients` threads calling `route` for SECONDS; their latencies and errors."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    until = [0.0]

    def client(n: int) -> None:
        method, path, body, key = _route(route, shop, n)
        conn = http.client.HTTPConnection(host, port, timeout=30, source_address=(f"127.0.0.{2 + n}", 0))
        start.wait()
        while time.perf_counter() < until[0]:
            began = time.perf_counter()
            try:
                status, _ = _call(conn, method, path, body, key)
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30, source_address=(f"127.0.0.{2 + n}", 0))
            latencies[n].append(time.perf_counter() - began)
            if status != 200:
                errors[n] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    until[0] = time.perf_counter() + SECONDS
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = sorted(ms * 1000 for mine in latencies for ms in mine)

    def pct(p: float) -> float:
        return flat[min(len(flat) - 1, int(p * len(flat)))] if flat else float("nan")

    return {"route": route, "clients": clients, "requests": len(flat), "per_second": len(flat) / elapsed,
            "p50": statistics.median(flat) if flat else float("nan"), "p99": pct(0.99), "errors": sum(errors)}


def measure(kind: str) -> Iterator[dict]:
    with _app(kind) as (host, port):
        shop = _shop(host, port, max(CLIENTS))
        for clients in CLIENTS:
            ping = None
            for route in ("ping", "order", "lookup"):
                result = _round(host, port, shop, route, clients)
                ping = ping or result["per_second"]
                yield {**result, "database": kind, "share_of_ping": result["per_second"] / ping}
                time.sleep(1)


def main() -> None:
    print(f"REST API, one app process, {SECONDS:.0f} s per cell; clients each on a keep-alive connection")
    print(f"targets at 50 clients: 0 errors, p99 < {TARGETS['p99_ms_at_50']:.0f} ms, "
          f"≥ {TARGETS['share_of_ping']:.2f} of /ping's requests/s")
    print("database | route | clients | requests/s | p50 / p99 ms | errors | share of /ping")
    names = {"ping": "GET /ping", "order": "GET /orders/{receipt}", "lookup": "POST /customer/orders/lookup"}
    for kind in DATABASES:
        if kind == "postgresql" and not postgres_available():
            print("postgresql | PostgreSQL not reachable, skipped")
            continue
        for r in measure(kind):
            print(f"{kind} | {names[r['route']]} | {r['clients']} | {r['per_second']:.0f} | "
                  f"{r['p50']:.0f} / {r['p99']:.0f} | {r['errors']} | {r['share_of_ping']:.2f}", flush=True)


if __name__ == "__main__":
    main()
