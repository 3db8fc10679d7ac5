"""Benchmark databases: a fresh migrated SQLite file or PostgreSQL database, and bulk
rows (accounts, orders with a paid bill, due refund tickets) inserted with core SQL; and
`serve`, the app as production runs it, for the benchmarks that call it over the network."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert
from sqlmodel import Session

from cbportal.db import make_engine
from cbportal.migrations import upgrade
from cbportal.models import (
    Bill,
    Customer,
    MasterAccount,
    Order,
    PaymentAttempt,
    PaymentMethod,
    Product,
    SandboxCharge,
    Ticket,
    VendorAccount,
)

PG_ADMIN = os.environ.get("CBPORTAL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def database(kind: str):
    """Yield a migrated engine on a throw-away database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            upgrade(url)
            engine = make_engine(url)
            yield engine
            engine.dispose()
        return
    name = f"cbportal_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    try:
        upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_available() -> bool:
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
        return True
    except Exception:
        return False


def _seed_account(engine, now: datetime, recurring: dict | None = None) -> None:
    """Account 1 'bench' (UTC, no reminders) and its product 1 'BENCH' ($29.95)."""
    with Session(engine) as s:
        s.execute(insert(MasterAccount), [{"id": 1, "name": "bench", "created_at": now}])
        s.execute(insert(VendorAccount), [{"id": 1, "nickname": "bench", "master_account_id": 1, "time_zone": "UTC",
                                           "account_email": "v@bench.test", "created_at": now,
                                           "admin_frequencies": False,
                                           "abuse_flagged": False, "reminder_days": 0}])
        s.execute(insert(Product), [{"id": 1, "sku": "BENCH", "account_id": 1, "title": "Bench", "description": "",
                                     "kind": "digital", "currency": "USD", "initial_price_cents": 2995,
                                     "commission_initial_bp": 0, "commission_rebill_bp": 0, "ship_to": [],
                                     "status": "approved", "recurring": False, "created_at": now,
                                     **(recurring or {})}])
        s.commit()


def seed_due_refunds(engine, *, n: int, now: datetime, due: list[datetime] | None = None, chunk: int = 5000) -> None:
    """One account and product, `n` orders each with a paid $29.95 bill and an open refund
    ticket due at `due[i]` (default: an hour before now)."""
    _seed_account(engine, now)
    for start in range(1, n + 1, chunk):
        ids = range(start, min(n, start + chunk - 1) + 1)
        rows = {
            Customer: [{"id": i, "email": f"c{i}@bench.test", "name": "C", "country": "US", "created_at": now}
                       for i in ids],
            PaymentMethod: [{"id": i, "customer_id": i, "type": "card", "gateway": "sandbox",
                             "gateway_method_ref": f"sbx_paid_{i:012x}", "created_at": now} for i in ids],
            Order: [{"id": i, "receipt": f"B{i:09d}", "account_id": 1, "product_id": 1, "customer_id": i,
                     "payment_method_id": i, "currency": "USD", "status": "active",
                     "created_at": now - timedelta(days=2)}
                    for i in ids],
            Bill: [{"id": i, "order_id": i, "seq": 1, "kind": "initial",
                    "scheduled_date": (now - timedelta(days=2)).date(),
                    "amount_cents": 2995, "net_cents": 2670, "commission_cents": 0, "vendor_cents": 2670,
                    "status": "paid", "paid_at": now - timedelta(days=2), "refunded_cents": 0} for i in ids],
            SandboxCharge: [{"id": i, "idempotency_key": f"charge:B{i:09d}:1", "kind": "charge",
                             "method_ref": f"sbx_paid_{i:012x}", "amount_cents": 2995, "currency": "USD",
                             "outcome": "paid", "metadata_json": {}, "created_at": now} for i in ids],
            PaymentAttempt: [{"id": i, "bill_id": i, "kind": "charge", "idempotency_key": f"charge:B{i:09d}:1",
                              "amount_cents": 2995, "outcome": "paid", "gateway": "sandbox",
                              "gateway_ref": f"sbx_charge_{i}", "at": now, "finished_at": now} for i in ids],
            Ticket: [{"id": i, "order_id": i, "account_id": 1, "type": "refund", "status": "open",
                      "opened_by": "customer", "opened_at": now - timedelta(days=1), "target_bill_id": i,
                      "process_at": due[i - 1] if due else now - timedelta(hours=1), "last_actor": "customer",
                      "last_action_at": now - timedelta(days=1), "inactivity_warnings": 0,
                      "vendor_closed_or_changed": False, "escalation": "none"} for i in ids],
        }
        with Session(engine) as s:
            for model, values in rows.items():
                s.execute(insert(model), values)
            s.commit()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("customer", "payment_method", "customer_order", "bill", "sandbox_charge", "payment_attempt",
                          "ticket"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})")
            conn.exec_driver_sql("ANALYZE")


def seed_subscriptions(engine, *, total: int, due: int, now: datetime, chunk: int = 10000) -> None:
    """`total` monthly subscriptions of which `due` have their next charge due an hour ago
    and the rest next month. One account and product; every order has a paid initial bill."""
    from cbportal.models import Subscription

    _seed_account(engine, now, recurring={"recurring": True, "rebill_price_cents": 995, "frequency_unit": "month",
                                          "frequency_count": 1, "commission_initial_bp": 5500,
                                          "commission_rebill_bp": 5500})
    today = now.date()
    for start in range(1, total + 1, chunk):
        ids = range(start, min(total, start + chunk - 1) + 1)
        rows = {
            Customer: [{"id": i, "email": f"c{i}@bench.test", "name": "C", "country": "US", "created_at": now}
                       for i in ids],
            PaymentMethod: [{"id": i, "customer_id": i, "type": "card", "gateway": "sandbox",
                             "gateway_method_ref": f"sbx_paid_{i:012x}", "created_at": now} for i in ids],
            Order: [{"id": i, "receipt": f"S{i:09d}", "account_id": 1, "product_id": 1, "customer_id": i,
                     "payment_method_id": i, "currency": "USD", "status": "active", "affiliate": "aff",
                     "created_at": now - timedelta(days=31)} for i in ids],
            Bill: [{"id": i, "order_id": i, "seq": 1, "kind": "initial", "scheduled_date": today - timedelta(days=31),
                    "amount_cents": 2995, "net_cents": 2670, "commission_cents": 1469, "vendor_cents": 1201,
                    "status": "paid", "paid_at": now - timedelta(days=31), "refunded_cents": 0} for i in ids],
            Subscription: [{"id": i, "order_id": i, "account_id": 1, "status": "active", "rebill_price_cents": 995,
                            "commission_rebill_bp": 5500, "frequency_unit": "month", "frequency_count": 1,
                            "rebills_total": None, "payments_remaining": None, "dunning_failures": 0,
                            "dunning_notices": 0,
                            "next_bill_date": today if i <= due else today + timedelta(days=30),
                            "next_charge_at": now - timedelta(hours=1) if i <= due else now + timedelta(days=30)}
                           for i in ids],
        }
        with Session(engine) as s:
            for model, values in rows.items():
                s.execute(insert(model), values)
            s.commit()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("customer", "payment_method", "customer_order", "bill", "subscription"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {total})")
            conn.exec_driver_sql("ANALYZE")


@contextmanager
def serve(command: list[str], env: dict, var: Path, root: Path):
    """Run the app's `command` (the backend) with `env` until its /ping answers; yield its
    process; stop it (and its workers) at the end. The server log is var/server.log."""
    from tests.e2e.server import stop

    with open(var / "server.log", "w") as log:
        proc = subprocess.Popen(command, cwd=root, env={**env, "REFLEX_ENV_MODE": "prod"}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 300
        while True:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the app did not start: {(var / 'server.log').read_text()[-2000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{env['CBPORTAL_BASE_URL']}/ping", timeout=2):
                break
            time.sleep(1)
        yield proc
    finally:
        stop(proc)
