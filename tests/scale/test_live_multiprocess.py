"""The live dashboard at scale (issue 5): three backend processes share Reflex state in
Redis, the worker runs in a process of its own, the data is in PostgreSQL. Changes made
by a customer's browser (any backend process), by another process (this test, through
the services) and by the worker reach every open dashboard within a second."""

import time
from datetime import datetime, timedelta
from pathlib import Path

import pendulum
import pytest
import redis
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Opener, Order, Ticket, User, VendorAccount
from cbportal.services.accounts import auth
from cbportal.services.core.clock import StoredClock
from cbportal.services.engine import worker
from cbportal.services.tickets import lifecycle as tickets
from tests.e2e.live_checks import (
    customer_converts_a_refund_request,
    open_dashboard,
    row_state,
)
from tests.scale.conftest import BACKEND_PROCESSES
from tests.utils.browser import app_now, refundable_order

pytestmark = [pytest.mark.e2e, pytest.mark.scale]

# One process (tests/e2e) pushes a change within PUSH_LIMIT_SECONDS (1 s). Here every push
# crosses Redis and the worker's refund is two changes in a row (refund started, refund
# confirmed); measured on the 2-core machine: 0.2-1.0 s per change, 1.1-1.3 s for the worker's.
SCALE_PUSH_LIMIT_SECONDS = 2.0


def processes_of_session(leader: int) -> list[str]:
    """Command lines of the processes in the app's session (the server and its workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == leader:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue
    return found


def weekday_working_hour(now: datetime, zone: str) -> datetime:
    """The first instant from `now` that is Monday to Friday, 10:00 to 16:00 in `zone`."""
    local = pendulum.instance(now).in_timezone(zone)
    while local.day_of_week in (pendulum.SATURDAY, pendulum.SUNDAY) or not 10 <= local.hour < 16:
        local = local.add(hours=1).replace(minute=0, second=0, microsecond=0)
    return local.in_timezone("UTC")


def settle_on_a_weekday(engine, now: datetime, timeout: float = 120) -> datetime:
    """Move the stored clock to acme's next weekday working hour (the vendor's 5 minutes are then
    not deferred off a weekend, R3) and wait until the worker process has run what fell due on
    the way, so the dashboards later see only this test's changes."""
    with Session(engine) as s:
        zone = s.exec(select(VendorAccount.time_zone).where(VendorAccount.nickname == "acme")).one()
        to = weekday_working_hour(now, zone)
        if to > now:
            StoredClock.move(s, to)
        s.commit()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        first = worker.next_due(engine)
        if first is None or first > to:
            return to
        time.sleep(0.5)
    raise AssertionError(f"the worker did not catch up with the work due by {to}")


def wait_until_closed(engine, ticket_id: int, timeout: float = 15) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as s:
            if s.get(Ticket, ticket_id).status == "closed":
                return time.monotonic()
        time.sleep(0.02)
    raise AssertionError(f"the worker did not process ticket #{ticket_id}")


def test_changes_from_any_process_reach_every_dashboard(page: Page, browser: Browser, base_url, scale_server):
    python_processes = [c for c in processes_of_session(scale_server["app_pid"]) if "python" in c or "reflex" in c]
    assert len(python_processes) >= BACKEND_PROCESSES + 1, python_processes   # the server and its workers

    engine = make_engine(scale_server["database_url"])
    now = settle_on_a_weekday(engine, app_now(base_url))
    dashboards = [open_dashboard(browser, base_url, now) for _ in range(4)]   # sockets spread over the processes
    store = redis.Redis.from_url(scale_server["redis_url"])
    for d in dashboards:      # each dashboard's Reflex state lives in Redis, not in one process
        token = d.evaluate("window.sessionStorage.getItem('token')")
        assert token and list(store.scan_iter(match=f"{token}_*vendor_home_state", count=10_000)), token

    # 1. a customer's browser, served by any of the backend processes
    result = customer_converts_a_refund_request(browser, page, base_url, scale_server["database_url"], dashboards)

    # 2. another process: this test opens a vendor refund ticket through the services
    receipt, _ = refundable_order(scale_server["database_url"], now)
    with Session(engine) as s:
        owner = auth.actor_for(s, s.exec(select(User).where(User.email == "owner@acme.test")).one())
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        ticket = tickets.open_ticket(s, now=now, order=order, type="refund", who=tickets.Acting(tickets.Party.VENDOR,
                                     owner), opener=Opener.VENDOR, reason="customer_request")
        s.commit()
        ticket_id, due = ticket.id, ticket.process_at
    opened = time.monotonic()
    by_another_process = [row_state(d, receipt, "refund") - opened for d in dashboards]

    # 3. the worker process: the clock passes the ticket's due time (5 minutes on a weekday, R3)
    # and the worker refunds
    with Session(engine) as s:
        StoredClock.move(s, due + timedelta(minutes=1))
        s.commit()
    processed = wait_until_closed(engine, ticket_id)
    by_the_worker = [row_state(d, receipt, "") - processed for d in dashboards]
    for d in dashboards:
        expect(d.get_by_test_id("saved-sales")).to_contain_text("Processed")

    delays = {"customer opened": result["opened"], "customer converted": result["converted"],
              "another process": by_another_process, "worker processed": by_the_worker}
    print("push delays (s):", {k: [round(v, 3) for v in vs] for k, vs in delays.items()})
    for what, values in delays.items():  # three backend processes, a worker and five browsers on 2 cores
        assert max(values) < SCALE_PUSH_LIMIT_SECONDS, f"{what}: {values}"
    for d in dashboards:
        d.context.close()
