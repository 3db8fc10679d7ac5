"""The worker as an operator meets it (issue 19 point 4, issue 14 points 9 and 10):
SIGTERM stops `cbportal worker` within 5 s mid-batch with nothing lost or sent twice; a
pass blocked on a locked database does not hold up the stop; a database outage writes
one line per source when it starts failing and one when it recovers, not a traceback
per pass."""

from __future__ import annotations

import asyncio
import contextlib
import email
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.migrations import upgrade
from cbportal.models import EmailOutbox
from cbportal.ops import logs
from cbportal.services.core.clock import SystemClock
from cbportal.services.delivery import mail
from cbportal.services.engine import worker
from tests.utils.loops import run_in_own_thread

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 80
SECONDS_PER_MESSAGE = 0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queue_emails(engine, n: int, now: datetime) -> None:
    with Session(engine) as s:
        for i in range(n):
            mail.queue(s, now=now, kind="receipt", to=f"c{i}@example.test", subject=f"message {i}", why="A test.")
        s.commit()


@pytest.fixture
def slow_smtp():
    """An SMTP server on loopback taking SECONDS_PER_MESSAGE per message; records subjects."""
    from aiosmtpd.controller import Controller

    received: list[str] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(SECONDS_PER_MESSAGE)
            received.append(email.message_from_bytes(envelope.content)["Subject"])
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_sigterm_stops_the_worker_mid_batch_within_5_s_and_nothing_is_lost_or_sent_twice(engine, slow_smtp, tmp_path):
    port, received = slow_smtp
    queue_emails(engine, MESSAGES, datetime.now(UTC) - timedelta(minutes=1))
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "CBPORTAL_MAIL": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "CBPORTAL_TEST_MODE": "0",
           "CBPORTAL_VAR_DIR": str(tmp_path), "CBPORTAL_LOG_FORMAT": "json", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "cbportal.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(received) < 5:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        proc.wait(10)
        took = time.monotonic() - stopped_at
    finally:
        if proc.poll() is None:
            proc.kill()
    output = proc.stdout.read()
    assert proc.returncode == 0, output
    assert took < 5, f"took {took:.1f} s"
    print(f"SIGTERM mid-batch: {len(received)} of {MESSAGES} messages out when it exited, "
          f"{took:.2f} s after the signal")
    assert '"message": "worker stopped"' in output
    sent_before_stop = list(received)
    assert len(sent_before_stop) < MESSAGES, "the batch finished before SIGTERM: nothing was tested"

    with Session(engine) as s:
        rows = s.exec(select(EmailOutbox)).all()
    recorded = sorted(r.subject for r in rows if r.sent_at is not None)
    assert recorded == sorted(sent_before_stop)                 # what went out is recorded as sent
    assert len(set(sent_before_stop)) == len(sent_before_stop)  # and went out once

    # a later worker (after the leases of claimed messages ran out) sends the rest, once each
    later = datetime.now(UTC) + timedelta(hours=1)
    mail.deliver_due(engine, now=later, transport=mail.SmtpTransport("127.0.0.1", port), sender="x@cbportal.test")
    assert sorted(received) == sorted(f"message {i}" for i in range(MESSAGES))
    with Session(engine) as s:
        assert all(r.sent_at is not None for r in s.exec(select(EmailOutbox)))


def test_stop_does_not_wait_for_a_pass_blocked_on_a_locked_database(tmp_path):
    """What kept the app up >15 s after SIGTERM: the pass ran in the event loop's default
    executor, which the loop's shutdown joins, while it waited out SQLite's 30 s busy timeout."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    queue_emails(engine, 1, datetime.now(UTC) - timedelta(minutes=1))
    lock = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock

    stopped = {}

    async def main():
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_forever(engine, SystemClock(), stop=stop, sources=[
            worker.DueSource("email", mail.next_due, lambda e, now: mail.deliver_due(
                e, now=now, transport=mail.FolderTransport(tmp_path / "mail"), sender="x@cbportal.test"))]))
        await asyncio.sleep(0.5)
        stop.set()
        stopped["at"] = time.monotonic()
        await task

    try:
        run_in_own_thread(main())  # returns only after the loop's shutdown
        took = time.monotonic() - stopped["at"]
    finally:
        lock.rollback()
        lock.close()
    assert took < 5, f"took {took:.1f} s"
    print(f"stop with a pass blocked on a locked database: returned after {took:.2f} s")


class Proxy:
    """A TCP proxy to PostgreSQL that can go down (drop every connection, refuse new ones)."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.down = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()

    def outage(self, on: bool):
        if on:
            self.down.set()
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self.open.clear()
        else:
            self.down.clear()

    def close(self):
        self.server.close()


@pytest.mark.postgres
def test_a_database_outage_logs_one_line_per_state_change_and_work_resumes(postgres_database, tmp_path, monkeypatch):
    upgrade(postgres_database)
    direct = make_engine(postgres_database)
    from urllib.parse import urlsplit

    proxy = Proxy(urlsplit(postgres_database.replace("+psycopg", "")).port or 5432)
    proxied = make_engine(postgres_database.replace(f":{urlsplit(postgres_database.replace('+psycopg', '')).port}/",
                                                    f":{proxy.port}/"))
    monkeypatch.setattr(mail, "transport_from_settings", lambda: mail.FolderTransport(tmp_path / "mail"))
    stream = io.StringIO()
    logs.configure("json", "INFO", stream=stream)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=lambda: loop.run_until_complete(
        worker.run_forever(proxied, SystemClock(), stop=stop)), daemon=True)
    try:
        runner.start()
        time.sleep(1.5)
        proxy.outage(True)
        time.sleep(4)                      # ~4 passes a second would have logged ~80 tracebacks here
        queue_emails(direct, 1, datetime.now(UTC) - timedelta(seconds=1))
        proxy.outage(False)
        deadline = time.monotonic() + 30
        while not (tmp_path / "mail").exists() or not any((tmp_path / "mail").iterdir()):
            assert time.monotonic() < deadline, stream.getvalue()[-3000:]
            time.sleep(0.2)
        time.sleep(1)
    finally:
        loop.call_soon_threadsafe(stop.set)
        runner.join(10)
        logs.configure("json", "INFO")
        proxy.close()
    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    failing = [r for r in records if r.get("event") == "worker.source_failing"]
    recovered = [r for r in records if r.get("event") == "worker.source_recovered"]
    problems = [r for r in records if r["level"] in ("WARNING", "ERROR")]
    assert failing, "the outage was not noticed"
    assert len({r["source"] for r in failing}) == len(failing)        # one line per source going down
    assert sorted(r["source"] for r in recovered) == sorted(r["source"] for r in failing)  # and one coming back
    assert len(problems) == len(failing) + len(recovered) <= 2 * (len(worker.all_sources()) + 1)
    assert all(r["failures"] >= 1 for r in recovered)
    print(f"4 s outage: {len(problems)} log lines ({len(failing)} failing, {len(recovered)} recovered), "
          f"tries per source {[r['failures'] for r in recovered]}")
