"""The due-work engine under failure (issue 12 point 7; not timed):
- two worker processes over a mixed batch of due refunds and rebills, one killed with
  SIGKILL mid-batch while its gateway calls are in flight: still exactly one gateway call
  per refund and per charge (R6), and every item done once the leases ran out;
- one vendor's INS endpoint accepts connections and never answers, with 100 messages
  queued for it: another vendor's due refund still reaches the gateway within 2 s (lanes)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, select

from cbportal.db import use_engine
from cbportal.models import Bill, InsOutbox, Opener, SandboxCharge, Subscription, Ticket, VendorAccount
from cbportal.services.billing import charges as billing
from cbportal.services.billing import refunds
from cbportal.services.core.clock import FixedClock, SystemClock
from cbportal.services.engine import worker
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets import processing as tp
from cbportal.services.tickets.lifecycle import CUSTOMER
from tests import factories
from tests.ops.engine_worker import CALLS_TABLE, CountingSandbox
from tests.utils.loops import run_in_own_thread

ROOT = Path(__file__).resolve().parents[2]
REFUNDS = CHARGES = 12


def seed_mixed_batch(session, engine, now: datetime) -> None:
    """REFUNDS refund tickets and CHARGES rebills, all due a minute ago."""
    past = now - timedelta(days=5)
    clock = FixedClock(past)
    acct, owner = factories.account(session, past)
    prod = factories.product(session, past, owner, acct)
    session.commit()
    for i in range(REFUNDS):
        order = factories.order(session, engine, clock, prod, acct, paid_at=past, email=f"r{i}@example.test",
                                recurring=False)
        session.commit()
        tickets.open_ticket(session, now=past, order=order, type="refund", who=CUSTOMER, opener=Opener.CUSTOMER)
        session.commit()
    payers = [factories.order(session, engine, clock, prod, acct, paid_at=past - timedelta(days=25),
                              email=f"p{i}@example.test").id for i in range(CHARGES)]
    session.commit()
    session.execute(update(Ticket).values(process_at=now - timedelta(minutes=1)))
    session.execute(update(Subscription).where(Subscription.order_id.in_(payers)).values(
        next_bill_date=now.date(), next_charge_at=now - timedelta(minutes=1), reminder_due_at=None))
    session.commit()


def calls(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT kind, idempotency_key FROM gateway_call"))]


def start_worker(engine, tmp_path, name: str) -> subprocess.Popen:
    env = {**os.environ, "CBPORTAL_SANDBOX_LATENCY_MS": "300", "CBPORTAL_TEST_MODE": "0", "CBPORTAL_MAIL": "folder",
           "CBPORTAL_VAR_DIR": str(tmp_path / name), "PYTHONPATH": str(ROOT),
           "DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return subprocess.Popen([sys.executable, "-m", "tests.ops.engine_worker",
                             engine.url.render_as_string(hide_password=False)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_r6_two_workers_and_a_kill_9_mid_batch_make_one_gateway_call_per_refund_and_charge(session, engine, tmp_path):
    now = datetime.now(UTC)
    seed_mixed_batch(session, engine, now)
    with engine.begin() as conn:
        conn.execute(text(CALLS_TABLE))
        conn.execute(text("DELETE FROM gateway_call"))
    a, b = start_worker(engine, tmp_path, "a"), start_worker(engine, tmp_path, "b")
    try:
        deadline = time.monotonic() + 90
        while len(calls(engine)) < 3:     # calls are going out: kill one worker in the middle
            assert a.poll() is None and b.poll() is None, (a.poll() and a.stdout.read()) or b.stdout.read()
            assert time.monotonic() < deadline, "no gateway call was made"
            time.sleep(0.05)
        a.send_signal(signal.SIGKILL)
        a.wait(10)
        at_kill = len(calls(engine))
        for _ in range(200):              # the survivor finishes what is not leased to the dead one
            time.sleep(0.1)
            with Session(engine) as s:
                open_refunds = s.exec(select(Ticket.id).where(Ticket.refund_status.is_(None))).all()
                due_subs = s.exec(select(Subscription.id).where(Subscription.next_charge_at <= now)).all()
            if not open_refunds and not due_subs:
                break
        b.send_signal(signal.SIGTERM)
        b.wait(20)
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
    # after the leases ran out, a later worker settles what the killed one held
    before_later = len(calls(engine))
    later = now + billing.LEASE + timedelta(minutes=1)
    gateway = CountingSandbox(engine, FixedClock(later))
    tp.settle_refunds(engine, later, gateway=gateway)
    billing.run_rebills(engine, later, gateway=gateway)
    print(f"kill -9 after {at_kill} calls; the survivor made {before_later - at_kill} more; "
          f"after the leases: {len(calls(engine)) - before_later} more")

    made = calls(engine)
    refund_keys = [k for kind, k in made if kind == "refund"]
    charge_keys = [k for kind, k in made if kind == "charge"]
    assert len(refund_keys) == len(set(refund_keys)) == REFUNDS     # one call per refund...
    assert len(charge_keys) == len(set(charge_keys)) == CHARGES     # ...and per charge
    with Session(engine) as s:
        assert {str(t.refund_status) for t in s.exec(select(Ticket))} == {"succeeded"}
        rebills = s.exec(select(Bill).where(Bill.kind == "rebill")).all()
        assert len(rebills) == CHARGES and {str(b.status) for b in rebills} == {"paid"}
        assert len(s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()) == REFUNDS
    assert refunds.LEASE < billing.LEASE


@pytest.fixture
def hanging_endpoint():
    """An INS receiver that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/ins"
    server.close()
    for conn in held:
        conn.close()


def test_a_hanging_ins_endpoint_does_not_delay_another_vendors_refund_beyond_2_s(session, engine, hanging_endpoint,
                                                                                 ins_private):
    now = datetime.now(UTC)
    past = now - timedelta(days=5)
    clock = FixedClock(past)
    acct, owner = factories.account(session, past)
    globex, _ = factories.account(session, past, nickname="globex", tz="Europe/Berlin")
    prod = factories.product(session, past, owner, acct)
    session.commit()
    order = factories.order(session, engine, clock, prod, acct, paid_at=past, recurring=False)
    session.commit()
    ticket = tickets.open_ticket(session, now=past, order=order, type="refund", who=CUSTOMER, opener=Opener.CUSTOMER)
    session.commit()
    due = now + timedelta(seconds=3)
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(process_at=due))
    session.execute(update(VendorAccount).where(VendorAccount.id == globex.id).values(
        ins_url=hanging_endpoint, ins_secret="s"))
    for i in range(100):
        session.add(InsOutbox(account_id=globex.id, event_type="TEST", created_at=now, next_attempt_at=now,
                              payload={"event": "TEST", "n": i}))
    session.commit()

    use_engine(engine)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=lambda: loop.run_until_complete(
        worker.run_forever(engine, SystemClock(), stop=stop, stop_grace=0.5, halt_grace=0.5)), daemon=True)
    runner.start()
    try:
        for _ in range(150):
            time.sleep(0.1)
            with Session(engine) as s:
                refunded = s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).first()
            if refunded is not None:
                break
    finally:
        loop.call_soon_threadsafe(stop.set)
        runner.join(10)
        use_engine(None)
    assert refunded is not None, "the refund was never made"
    late = (refunded.created_at.replace(tzinfo=UTC) - due).total_seconds()
    print(f"refund {late * 1000:.0f} ms after its due instant while globex's INS endpoint hung")
    assert late <= 2.0
    with Session(engine) as s:  # the hanging endpoint was being tried meanwhile
        assert s.exec(select(InsOutbox).where(InsOutbox.attempts > 0)).first() is not None


def test_on_postgresql_due_work_written_wakes_only_the_lanes_that_read_it(engine):
    """Point 4: NOTIFY at commit (migration 0012) reaches the worker's listener, which wakes
    the email lane for an outbox row and leaves the billing lane asleep."""
    if engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's; SQLite lanes poll every 0.25 s")
    from cbportal.services.delivery import mail
    from cbportal.services.engine import wakeup

    async def main():
        wakes = {"email": asyncio.Event(), "billing": asyncio.Event()}
        listener = wakeup.listen(engine, asyncio.get_running_loop(), wakes)
        try:
            await asyncio.wait_for(wakes["email"].wait(), 5)  # the first wake-up after LISTEN
            wakes["email"].clear()
            wakes["billing"].clear()
            with Session(engine) as s:
                mail.queue(s, now=datetime.now(UTC), kind="receipt", to="c@example.test", subject="s",
                           why="A test.")
                s.commit()
            await asyncio.wait_for(wakes["email"].wait(), 5)
            return wakes["billing"].is_set()
        finally:
            listener.close()

    assert run_in_own_thread(main()) is False
