"""The due-work engine (issue 12 point 6), in one run, as ratios:

1. refunds and rebills at sandbox latency 0 ms, SQLite and PostgreSQL: items/s and the
   ratio to the bare SQL update of the same rows (target <= 50x);
2. the same with 300 ms sandbox latency (CBPORTAL_SANDBOX_LATENCY_MS), PostgreSQL and
   SQLite: items/s per worker process (target >= 100/s on PostgreSQL);
3. lateness on PostgreSQL (SQLite if absent) with refund tickets falling due at RATE/s for
   SECONDS s, the whole worker (every lane) running on the system clock: due instant ->
   refund at the gateway, p50/p99/max (target p99 <= 1 s); then the same while another
   vendor's INS endpoint accepts connections and never answers (target: p99 unchanged).

Counts are scaled down to fit a 2-core machine shared with other work (the issue's are
100,000 refunds, 100,000 rebills among 1,000,000, 200/s for 30 s); every table prints the
counts it used. BENCH_ENGINE_ITEMS, BENCH_ENGINE_TOTAL, BENCH_ENGINE_SLOW_ITEMS,
BENCH_ENGINE_RATE and BENCH_ENGINE_SECONDS set them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, update
from sqlmodel import Session, func, select

from benchmarks.fixtures import database, postgres_available, seed_due_refunds, seed_subscriptions
from cbportal.db import use_engine
from cbportal.models import Bill, InsOutbox, MasterAccount, SandboxCharge, Subscription, Ticket, VendorAccount
from cbportal.services.billing import charges as billing
from cbportal.services.billing.gateways import window as gateway_window
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core.clock import FixedClock, SystemClock
from cbportal.services.engine import worker
from cbportal.services.tickets import processing as ticket_processing

ITEMS = int(os.environ.get("BENCH_ENGINE_ITEMS", "2000"))
TOTAL = int(os.environ.get("BENCH_ENGINE_TOTAL", "20000"))
SLOW_ITEMS = int(os.environ.get("BENCH_ENGINE_SLOW_ITEMS", "600"))
RATE = float(os.environ.get("BENCH_ENGINE_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_ENGINE_SECONDS", "20"))
WINDOWS = (32, 64)   # CBPORTAL_GATEWAY_WINDOW's default, and twice it


class Statements:
    """Counts the SQL statements sent on `engine` while it is open (`before_cursor_execute`)."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, *_args) -> None:
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


LAST_STATEMENTS: dict[str, float] = {}  # "refunds"/"rebills" -> statements per item of the last run


def _bare_refunds(engine, now) -> float:
    with engine.begin() as conn:              # the bare SQL baseline on the same rows, then undone
        t0 = time.perf_counter()
        conn.execute(update(Ticket).where(Ticket.status == "open", Ticket.process_at <= now).values(
            status="closed", close_reason="processed", closed_at=Ticket.process_at))
        bare = time.perf_counter() - t0
        conn.execute(update(Ticket).values(status="open", close_reason=None, closed_at=None))
    return bare


def refunds(kind: str, n: int, latency_ms: int) -> tuple[float, float]:
    now = datetime.now(UTC).replace(microsecond=0)
    with database(kind) as engine:
        seed_due_refunds(engine, n=n, now=now)
        bare = _bare_refunds(engine, now)
        t0 = time.perf_counter()
        with Statements(engine) as sent:
            done = ticket_processing.process_due_tickets(
                engine, now, gateway=SandboxGateway(engine, FixedClock(now), latency_ms=latency_ms))
        spent = time.perf_counter() - t0
        LAST_STATEMENTS["refunds"] = sent.count / n
        with Session(engine) as s:
            made = s.exec(select(func.count()).select_from(SandboxCharge).where(SandboxCharge.kind == "refund")).one()
        assert done == n and made == n, (done, made)
    return n / spent, spent / bare


def rebills(kind: str, due: int, total: int, latency_ms: int) -> tuple[float, float]:
    now = datetime.now(UTC).replace(microsecond=0)
    with database(kind) as engine:
        seed_subscriptions(engine, total=total, due=due, now=now)
        with engine.begin() as conn:
            t0 = time.perf_counter()
            conn.execute(update(Subscription).where(Subscription.next_charge_at <= now).values(
                next_bill_date=Subscription.next_bill_date, next_charge_at=now + timedelta(days=30)))
            bare = time.perf_counter() - t0
            conn.execute(update(Subscription).where(Subscription.id <= due).values(
                next_charge_at=now - timedelta(hours=1)))
        t0 = time.perf_counter()
        with Statements(engine) as sent:
            handled = billing.run_rebills(engine, now, gateway=SandboxGateway(engine, FixedClock(now),
                                                                              latency_ms=latency_ms))
        spent = time.perf_counter() - t0
        LAST_STATEMENTS["rebills"] = sent.count / due
        with Session(engine) as s:
            paid = s.exec(select(func.count()).select_from(Bill).where(Bill.kind == "rebill",
                                                                       Bill.status == "paid")).one()
        assert handled == due and paid == due, (handled, paid)
    return due / spent, spent / bare


def _hanging_endpoint():
    server = socket.create_server(("127.0.0.1", 0))
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, held, f"http://127.0.0.1:{server.getsockname()[1]}/ins"


def lateness(kind: str, rate: float, seconds: float, hanging_ins: bool) -> tuple[int, float, float, float]:
    n = int(rate * seconds)
    now = datetime.now(UTC)
    start = now + timedelta(seconds=5)
    due = [start + timedelta(seconds=i / rate) for i in range(n)]
    with database(kind) as engine:
        seed_due_refunds(engine, n=n, now=now, due=due)
        server = None
        if hanging_ins:
            server, held, url = _hanging_endpoint()
            os.environ["CBPORTAL_INS_ALLOW_PRIVATE"] = "1"
            from cbportal.settings import get_settings

            get_settings.cache_clear()
            with Session(engine) as s:
                s.execute(insert(MasterAccount), [{"id": 2, "name": "globex", "created_at": now}])
                s.execute(insert(VendorAccount), [{"id": 2, "nickname": "globex", "master_account_id": 2,
                                                   "time_zone": "UTC", "account_email": "v@globex.test",
                                                   "created_at": now, "admin_frequencies": False,
                                                   "abuse_flagged": False, "reminder_days": 0,
                                                   "ins_url": url, "ins_secret": "s"}])
                s.execute(insert(InsOutbox), [{"account_id": 2, "event_type": "TEST", "created_at": now,
                                               "next_attempt_at": now + timedelta(seconds=i * seconds / 100),
                                               "attempts": 0, "payload": {"event": "TEST", "n": i}}
                                              for i in range(100)])
                s.commit()
        use_engine(engine)
        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        runner = threading.Thread(target=lambda: loop.run_until_complete(
            worker.run_forever(engine, SystemClock(), stop=stop)), daemon=True)
        runner.start()
        try:
            deadline = time.time() + seconds + 600
            while time.time() < deadline:
                with Session(engine) as s:
                    left = s.exec(select(Ticket.id).where(Ticket.refund_status.is_(None)).limit(1)).first()
                if left is None:
                    break
                time.sleep(0.5)
        finally:
            loop.call_soon_threadsafe(stop.set)
            runner.join(10)
            use_engine(None)
            if server is not None:
                server.close()
                os.environ.pop("CBPORTAL_INS_ALLOW_PRIVATE", None)
        with Session(engine) as s:
            made = {c.idempotency_key: c.created_at for c in s.exec(select(SandboxCharge).where(
                SandboxCharge.kind == "refund"))}
            late = sorted((made[f"refund:ticket:{t.id}"].replace(tzinfo=UTC)
                           - t.process_at.replace(tzinfo=UTC)).total_seconds()
                          for t in s.exec(select(Ticket)) if f"refund:ticket:{t.id}" in made)
    pct = lambda p: late[min(len(late) - 1, int(p * len(late)))]  # noqa: E731
    return len(late), pct(0.5), pct(0.99), late[-1]


def main() -> None:
    kinds = ["sqlite"] + (["postgres"] if postgres_available() else [])
    print(f"engine at sandbox latency 0 ms ({ITEMS:,} due refund tickets; {ITEMS:,} due rebills among "
          f"{TOTAL:,} subscriptions; issue: 100,000 and 100,000 among 1,000,000; target <= 50x bare SQL)")
    print(f"{'':>10} | {'refunds/s':>10} | {'x bare SQL':>10} | {'SQL/item':>8} | {'rebills/s':>10} | "
          f"{'x bare SQL':>10} | {'SQL/item':>8}")
    for kind in kinds:
        r, rx = refunds(kind, ITEMS, 0)
        b, bx = rebills(kind, ITEMS, TOTAL, 0)
        print(f"{kind:>10} | {r:>10,.0f} | {rx:>9,.0f}x | {LAST_STATEMENTS['refunds']:>8.1f} | {b:>10,.0f} | "
              f"{bx:>9,.0f}x | {LAST_STATEMENTS['rebills']:>8.1f}")
    print(f"engine at sandbox latency 300 ms, one worker process, gateway window 32 (the default) and 64 "
          f"({SLOW_ITEMS:,} items each; target >= 100 items/s on PostgreSQL; at most window / 0.3 s)")
    print(f"{'':>10} | {'window':>6} | {'refunds/s':>10} | {'rebills/s':>10}")
    for size in WINDOWS:
        gateway_window._POOL = gateway_window._Pool(size)    # the process's window, this size
        for kind in kinds:
            r, _ = refunds(kind, SLOW_ITEMS, 300)
            b, _ = rebills(kind, SLOW_ITEMS, SLOW_ITEMS * 10, 300)
            print(f"{kind:>10} | {size:>6} | {r:>10,.1f} | {b:>10,.1f}")
    gateway_window._POOL = None
    kind = kinds[-1]
    print(f"lateness on {kind}: refunds due at {RATE:g}/s for {SECONDS:g} s, whole worker running "
          f"(issue: 200/s for 30 s; target p99 <= 1 s, unchanged with a hanging INS endpoint)")
    for hanging in (False, True):
        n, p50, p99, worst = lateness(kind, RATE, SECONDS, hanging)
        label = "globex INS hanging" if hanging else "all endpoints fine"
        print(f"{label:>20}: {n:,} refunds, p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms, "
              f"max {worst * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
