"""A `cbportal worker` in a process of its own, in test mode on PostgreSQL with the demo
loaded, processes a vendor's refund ticket once another process moves the stored test clock
past its due time (R2, R3; issue 12 point 4), without a browser. The demo's clock starts on
a Sunday evening in acme's zone, so the vendor's 5 minutes are deferred off the weekend
(R3): the clock must pass the ticket's own `process_at`, not "now + 6 minutes". Not timed: the wait is a
generous limit, not a measure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Opener, Order, Ticket, User
from cbportal.services.accounts import auth
from cbportal.services.core.clock import StoredClock
from cbportal.services.tickets import lifecycle as tickets
from tests.utils.browser import refundable_order

ROOT = Path(__file__).resolve().parents[2]


def cli(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "cbportal.cli", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def wait_until_closed(engine, ticket_id: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as s:
            if s.get(Ticket, ticket_id).status == "closed":
                return True
        time.sleep(0.1)
    return False


def test_r3_the_worker_process_refunds_a_ticket_once_another_process_moves_the_test_clock(postgres_database, tmp_path):
    env = {**os.environ, "DATABASE_URL": postgres_database, "CBPORTAL_TEST_MODE": "1", "CBPORTAL_MAIL": "folder",
           "CBPORTAL_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    cli(env, "migrate")
    cli(env, "demo")
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "cbportal.cli", "worker"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    engine = make_engine(postgres_database)
    try:
        now = StoredClock(engine).now()
        receipt, _ = refundable_order(postgres_database, now)
        with Session(engine) as s:
            owner = auth.actor_for(s, s.exec(select(User).where(User.email == "owner@acme.test")).one())
            order = s.exec(select(Order).where(Order.receipt == receipt)).one()
            ticket = tickets.open_ticket(s, now=now, order=order, type="refund",
                                         who=tickets.Acting(tickets.Party.VENDOR, owner), opener=Opener.VENDOR,
                                         reason="customer_request")
            s.commit()
            ticket_id, due = ticket.id, ticket.process_at
        # the demo's clock starts on a Sunday evening in acme's zone: the 5 minutes are deferred off the weekend
        assert due > now + timedelta(minutes=5)
        time.sleep(1.5)  # the worker has looked at least once with the ticket not yet due
        with Session(engine) as s:
            StoredClock.move(s, due + timedelta(minutes=1))   # past the ticket's due time (R3)
            s.commit()
        closed = wait_until_closed(engine, ticket_id)
        assert closed, f"the worker did not process ticket #{ticket_id}:\n{log_path.read_text()[-4000:]}"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        engine.dispose()
