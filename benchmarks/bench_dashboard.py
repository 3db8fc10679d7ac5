"""Dashboard and transaction search at size (issue 5, benchmark).

A vendor account with 1,000,000 orders (BENCH_ORDERS) and 100,000 tickets (BENCH_BOARD_TICKETS,
half of them open) on SQLite and PostgreSQL. Server time of the services the pages call:
the dashboard's first page of open tickets (with its total and the saved-sales figures), a
filtered board, and the transaction search's first page, unfiltered and filtered. Each figure
is the median of 7 runs after a warm-up, with the ratio to a bare `SELECT ... LIMIT 50` of
the same table (what the database alone needs to hand back a page).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text
from sqlmodel import Session

from benchmarks.fixtures import _seed_account, database, postgres_available
from cbportal.db import reader
from cbportal.models import Customer, Order, PaymentMethod, Ticket
from cbportal.services.accounts.auth import ALL_ROLES, Actor
from cbportal.services.billing import transactions
from cbportal.services.tickets import board as ticket_board
from cbportal.services.tickets.board import BoardFilter

OWNER = Actor(user_id=0, email="owner@bench.test", name="Owner", is_staff=False, is_owner=True, master_account_id=1,
              roles=ALL_ROLES)
TYPES = ("refund", "cancel", "tech_support")
OPENERS = ("customer", "vendor", "clerk", "api")


def seed(engine, *, orders: int, tickets: int, now: datetime, chunk: int = 20000) -> None:
    """Orders spread over the last 400 days, newest last; tickets on the newest orders."""
    _seed_account(engine, now)
    with Session(engine) as s:    # one shared payment method: the pages measured never read it
        s.execute(insert(Customer), [{"id": 0, "email": "pm@bench.test", "name": "PM", "country": "US",
                                      "created_at": now}])
        s.execute(insert(PaymentMethod), [{"id": 1, "customer_id": 0, "type": "card", "gateway": "sandbox",
                                           "gateway_method_ref": "sbx_paid_0", "created_at": now}])
        s.commit()
    first_ticket = orders - tickets + 1
    for start in range(1, orders + 1, chunk):
        ids = range(start, min(orders, start + chunk - 1) + 1)
        rows = {
            Customer: [{"id": i, "email": f"c{i:07d}@bench{i % 97}.test", "name": "C", "country": "US",
                        "created_at": now} for i in ids],
            Order: [{"id": i, "receipt": f"B{i:09d}", "account_id": 1, "product_id": 1, "customer_id": i,
                     "payment_method_id": 1, "currency": "USD", "status": "active",
                     "created_at": now - timedelta(seconds=(orders - i) * 400 * 86400 // orders)} for i in ids],
        }
        ticket_ids = [i for i in ids if i >= first_ticket]
        rows[Ticket] = [{"id": i - first_ticket + 1, "order_id": i, "account_id": 1, "type": TYPES[i % 3],
                         "status": "open" if i % 2 else "closed", "opened_by": OPENERS[i % 4],
                         "opened_at": now - timedelta(minutes=i % 5000),
                         "process_at": None if TYPES[i % 3] == "tech_support" else now + timedelta(minutes=i % 10000),
                         "closed_at": None if i % 2 else now - timedelta(days=i % 40),
                         "close_reason": None if i % 2 else ("processed" if i % 4 == 0 else "customer"),
                         "last_actor": "customer", "last_action_at": now, "inactivity_warnings": 0,
                         "vendor_closed_or_changed": False, "escalation": "none"} for i in ticket_ids]
        with Session(engine) as s:
            for model, values in rows.items():
                if values:
                    s.execute(insert(model), values)
            s.commit()
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def timed(fn, runs: int = 7) -> float:
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def measure(kind: str, orders: int, tickets: int) -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    with database(kind) as engine:
        started = time.perf_counter()
        seed(engine, orders=orders, tickets=tickets, now=now)
        print(f"{kind}: seeded {orders:,} orders and {tickets:,} tickets in {time.perf_counter() - started:.0f} s")
        session = reader(engine)

        def board(**where):
            return lambda: ticket_board.open_tickets(session, actor=OWNER, now=now, where=BoardFilter(**where))

        def search(**filters):
            return lambda: transactions.search(session, actor=OWNER, **filters)

        bare_tickets = timed(lambda: session.execute(text("SELECT * FROM ticket WHERE status = 'open' LIMIT 50")).all())
        bare_orders = timed(lambda: session.execute(text("SELECT * FROM customer_order LIMIT 50")).all())
        figures = [
            ("dashboard: first page of open tickets + total", board(), bare_tickets),
            ("dashboard: saved-sales figures (30 days)",
             lambda: ticket_board.saved_sales(session, actor=OWNER, now=now), bare_tickets),
            ("dashboard: refunds due within 24 h", board(type="refund", due_within_hours=24), bare_tickets),
            ("dashboard: opened by a clerk, search \"c0999\" (receipt or email start)",
             board(opener="clerk", search="c0999"),
             bare_tickets),
            ("dashboard: search \"999@bench\" (any part of an email, issue 16)", board(search="999@bench"),
             bare_tickets),
            ("transactions: first page + total", search(), bare_orders),
            ("transactions: receipt", search(receipt=f"B{orders // 2:09d}"), bare_orders),
            ("transactions: email prefix", search(email="c00123"), bare_orders),
            ("transactions: date range (one week)",
             search(date_from=(now - timedelta(days=30)).date(), date_to=(now - timedelta(days=23)).date()),
             bare_orders),
        ]
        for label, fn, bare in figures:
            ms = timed(fn)
            print(f"  {kind:8} {label:48} {ms:9.1f} ms   (ratio to a bare 50-row SELECT: {ms / bare:,.0f}x)")
        session.close()


def main() -> None:
    orders = int(os.environ.get("BENCH_ORDERS", "1000000"))
    tickets = int(os.environ.get("BENCH_BOARD_TICKETS", "100000"))
    kinds = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    for kind in kinds:
        measure(kind, orders, tickets)


if __name__ == "__main__":
    main()
