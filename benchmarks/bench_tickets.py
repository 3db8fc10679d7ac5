"""Ticket processing speed (issue: ticket system, benchmark).

1. N due refund tickets (default 2,000, scaled down from 100,000 for a 2-core machine;
   BENCH_TICKETS) processed by the worker code
   (claim, cancel, refund through the sandbox gateway exactly once, two emails each) on
   SQLite and PostgreSQL: tickets/s, and the ratio to a bare SQL UPDATE of the same rows.
2. Lateness: 1,000 tickets due at spread instants over 20 s, with the worker loop
   running on the system clock: due instant -> refund at the gateway.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, select

from benchmarks.fixtures import database, postgres_available, seed_due_refunds
from cbportal.models import SandboxCharge, Ticket
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core.clock import SystemClock
from cbportal.services.engine.worker import DueSource, run_forever
from cbportal.services.tickets import processing as ticket_processing


class Frozen:
    def __init__(self, now):
        self._now = now

    def now(self):
        return self._now


def throughput(kind: str, n: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with database(kind) as engine:
        t0 = time.perf_counter()
        seed_due_refunds(engine, n=n, now=now)
        seeded = time.perf_counter() - t0
        with engine.begin() as conn:              # the bare SQL baseline on the same rows, then undone
            t0 = time.perf_counter()
            conn.execute(text("UPDATE ticket SET status = 'closed', close_reason = 'processed', closed_at = process_at "
                              "WHERE status = 'open' AND process_at <= :now"), {"now": now.replace(tzinfo=None)
                                                                                 if kind == "sqlite" else now})
            bare = time.perf_counter() - t0
            conn.execute(text("UPDATE ticket SET status = 'open', close_reason = NULL, closed_at = NULL"))
        gateway = SandboxGateway(engine, Frozen(now))
        t0 = time.perf_counter()
        done = ticket_processing.process_due_tickets(engine, now, gateway=gateway)
        spent = time.perf_counter() - t0
        with Session(engine) as s:
            refunds = s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()
        assert done == n and len(refunds) == n, (done, len(refunds))
        print(f"{kind:>10}: {n:,} due refund tickets processed in {spent:,.1f} s = {n / spent:,.0f} tickets/s "
              f"(bare SQL UPDATE of the same rows: {bare * 1000:,.0f} ms = {n / bare:,.0f} rows/s; "
              f"ratio {spent / bare:,.0f}x; seeding took {seeded:,.1f} s)")


def lateness(kind: str, n: int = 1000, spread_s: float = 20.0) -> None:
    now = datetime.now(UTC)
    start = now + timedelta(seconds=3)
    due = [start + timedelta(seconds=spread_s * i / n) for i in range(n)]
    with database(kind) as engine:
        seed_due_refunds(engine, n=n, now=now, due=due)
        clock = SystemClock()
        gateway = SandboxGateway(engine, clock)
        source = DueSource("tickets", ticket_processing.next_due,
                           lambda e, t: ticket_processing.process_due_tickets(e, t, gateway=gateway))
        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=lambda: loop.run_until_complete(
            run_forever(engine, clock, stop=stop, sources=[source])))
        thread.start()
        try:
            deadline = time.time() + spread_s + 30
            while time.time() < deadline:
                with Session(engine) as s:
                    left = s.exec(select(Ticket.id).where(Ticket.status == "open").limit(1)).first()
                if left is None:
                    break
                time.sleep(0.5)
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join()
        late = []
        with Session(engine) as s:
            charges = {c.idempotency_key: c.created_at for c in s.exec(
                select(SandboxCharge).where(SandboxCharge.kind == "refund"))}
            for t in s.exec(select(Ticket)):
                at = charges.get(f"refund:ticket:{t.id}")
                if at is not None:
                    late.append((at - t.process_at).total_seconds())
        late.sort()
        pct = lambda p: late[min(len(late) - 1, int(p * len(late)))]  # noqa: E731
        print(f"{kind:>10}: lateness of {len(late):,}/{n:,} tickets due over {spread_s:.0f} s with the worker running: "
              f"median {statistics.median(late) * 1000:,.0f} ms, p95 {pct(0.95) * 1000:,.0f} ms, "
              f"max {late[-1] * 1000:,.0f} ms")


def main() -> None:
    n = int(os.environ.get("BENCH_TICKETS", "2000"))  # scaled down from 100,000 (2 shared cores)
    kinds = ["sqlite"] + (["postgres"] if postgres_available() else [])
    for kind in kinds:
        throughput(kind, n)
    for kind in kinds:
        lateness(kind)


if __name__ == "__main__":
    main()
