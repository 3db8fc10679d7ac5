"""Rebill run speed (issue: recurring billing, benchmark).

DUE subscriptions due now among TOTAL (defaults 2,000 among 20,000, scaled down from 100,000
among 1,000,000 for a 2-core machine; BENCH_DUE, BENCH_TOTAL), charged through the sandbox
gateway by the worker code (claim, bill with
R1 split, charge exactly once, schedule the next date, rebill notice) on SQLite and
PostgreSQL; rebills/s and the ratio to a bare SQL batch update of the same rows.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, func, select

from benchmarks.bench_tickets import Frozen
from benchmarks.fixtures import database, postgres_available, seed_subscriptions
from cbportal.models import Bill, Subscription
from cbportal.services.billing import charges as billing
from cbportal.services.billing.gateways.sandbox import SandboxGateway


def run(kind: str, total: int, due: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with database(kind) as engine:
        t0 = time.perf_counter()
        seed_subscriptions(engine, total=total, due=due, now=now)
        seeded = time.perf_counter() - t0
        due_at = Subscription.next_charge_at <= now
        with engine.begin() as conn:              # the bare SQL baseline on the same rows, then undone
            t0 = time.perf_counter()
            conn.execute(update(Subscription).where(due_at).values(
                next_bill_date=Subscription.next_bill_date, next_charge_at=now + timedelta(days=30)))
            bare = time.perf_counter() - t0
            conn.execute(update(Subscription).where(Subscription.id <= due)
                         .values(next_charge_at=now - timedelta(hours=1)))
        t0 = time.perf_counter()
        handled = billing.run_rebills(engine, now, gateway=SandboxGateway(engine, Frozen(now)))
        spent = time.perf_counter() - t0
        with Session(engine) as s:
            paid = s.exec(select(func.count()).select_from(Bill)
                          .where(Bill.kind == "rebill", Bill.status == "paid")).one()
        assert handled == due and paid == due, (handled, paid)
        print(f"{kind:>10}: {due:,} rebills among {total:,} subscriptions in {spent:,.1f} s "
              f"= {due / spent:,.0f} rebills/s "
              f"(bare SQL batch update of the same rows: {bare * 1000:,.0f} ms; ratio {spent / bare:,.0f}x; "
              f"seeding {seeded:,.0f} s)")


def main() -> None:
    # scaled down from 100,000 among 1,000,000 (a 2-core machine); the printed line says the counts
    total, due = int(os.environ.get("BENCH_TOTAL", "20000")), int(os.environ.get("BENCH_DUE", "2000"))
    for kind in ["sqlite"] + (["postgres"] if postgres_available() else []):
        run(kind, total, due)


if __name__ == "__main__":
    main()
