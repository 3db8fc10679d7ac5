"""`cbportal backup` / `cbportal restore` (issue 19 point 5): a demo database backed up
while a writer keeps changing it, restored into a fresh folder (SQLite) or a fresh
database (PostgreSQL, pg_dump/pg_restore); row counts and money sums match, and the
snapshot is consistent (the writer's two changes per transaction are both in or both out)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from cbportal.db import make_engine
from cbportal.ops.backup import summary
from tests.conftest import PG_ADMIN_URL, postgres_reachable

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, env: dict) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "cbportal.cli", *args], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "CBPORTAL_TEST_MODE": "0",
                              "CBPORTAL_LOG_FORMAT": "plain", **env}, timeout=300)
    return run


def env_for(var: Path, database_url: str | None = None) -> dict:
    env = {"CBPORTAL_VAR_DIR": str(var)}
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def demo(env: dict) -> None:
    for step in (("migrate",), ("demo",)):
        run = cli(*step, env=env)
        assert run.returncode == 0, run.stderr


class Writer(threading.Thread):
    """Keeps writing while the backup runs: each transaction adds 1 cent to one bill's
    refunded amount and one audit row, so a consistent copy has exactly as many audit
    rows of ours as extra refunded cents."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.stop, self.done = path, threading.Event(), 0

    def run(self):
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        bill_id, room = conn.execute("SELECT id, amount_cents - refunded_cents FROM bill "
                                     "ORDER BY amount_cents - refunded_cents DESC LIMIT 1").fetchone()
        while not self.stop.is_set() and self.done < room:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE bill SET refunded_cents = refunded_cents + 1 WHERE id = ?", (bill_id,))
            conn.execute("INSERT INTO audit_log (at, actor, action, entity, detail) VALUES "
                         "('2026-01-01 00:00:00', 'system', 'ops.backup_test', 'bill', '{}')")
            conn.execute("COMMIT")
            self.done += 1
            time.sleep(0.002)
        conn.close()


def ours(engine) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'ops.backup_test'")).scalar_one()


def test_sqlite_backup_while_running_then_restore_into_a_fresh_folder(tmp_path):
    live, fresh = tmp_path / "live", tmp_path / "fresh"
    demo(env_for(live))
    source = make_engine(f"sqlite:///{live / 'cbportal.db'}")
    before = summary(source)
    assert before["tables"]["bill"] > 0 and before["bills_amount_cents"] > 0

    writer = Writer(live / "cbportal.db")
    writer.start()
    time.sleep(0.3)
    run = cli("backup", str(tmp_path / "backup"), env=env_for(live))
    time.sleep(0.3)
    writer.stop.set()
    writer.join(10)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"cbportal: backed up into {tmp_path / 'backup'}: ")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["kind"] == "sqlite" and manifest["secret_included"] is True
    in_copy = manifest["tables"]["audit_log"] - before["tables"]["audit_log"]
    assert 0 < in_copy < writer.done, "the backup did not run while the writer wrote"
    # consistent: the writer's two changes per transaction are both in the copy, or both out
    assert manifest["bills_refunded_cents"] - before["bills_refunded_cents"] == in_copy
    assert manifest["bills_amount_cents"] == before["bills_amount_cents"]

    run = cli("restore", str(tmp_path / "backup"), env=env_for(fresh))
    assert run.returncode == 0, run.stderr
    restored = summary(make_engine(f"sqlite:///{fresh / 'cbportal.db'}"))
    assert restored["tables"] == manifest["tables"]
    assert (restored["bills_amount_cents"], restored["bills_refunded_cents"]) == \
        (manifest["bills_amount_cents"], manifest["bills_refunded_cents"])
    assert restored["revision"] == before["revision"]
    assert (fresh / "secret.key").read_text() == (live / "secret.key").read_text()  # emailed links still work
    print(f"SQLite backup while writing: {sum(restored['tables'].values())} rows, bills "
          f"{restored['bills_amount_cents']} cents, refunded {restored['bills_refunded_cents']} cents, "
          f"{in_copy} of the writer's {writer.done} transactions in the copy")

    # a second restore into the now-filled folder is refused in words, unless forced
    run = cli("restore", str(tmp_path / "backup"), env=env_for(fresh))
    assert run.returncode == 1
    assert "the target database already holds data" in run.stderr
    assert cli("restore", str(tmp_path / "backup"), "--force", env=env_for(fresh)).returncode == 0


def test_backup_errors_in_plain_words(tmp_path):
    run = cli("restore", str(tmp_path), env=env_for(tmp_path / "var"))
    assert run.returncode == 1 and f"{tmp_path} is not a cbportal backup (no manifest.json)" in run.stderr
    run = cli("backup", env=env_for(tmp_path / "empty", f"sqlite:///{tmp_path / 'none.db'}"))
    assert run.returncode == 1 and f"there is no database at {tmp_path / 'none.db'}" in run.stderr


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_postgresql_backup_with_pg_dump_then_restore_into_a_fresh_database(tmp_path):
    if not postgres_reachable():
        pytest.skip("PostgreSQL not reachable")
    names = [f"cbportal_bk_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        live_url, fresh_url = (f"{base}/{name}" for name in names)
        demo(env_for(tmp_path / "live", live_url))
        before = summary(make_engine(live_url.replace("postgresql://", "postgresql+psycopg://")))
        run = cli("backup", str(tmp_path / "backup"), env=env_for(tmp_path / "live", live_url))
        assert run.returncode == 0, run.stderr
        assert (tmp_path / "backup" / "cbportal.pgdump").stat().st_size > 0
        run = cli("restore", str(tmp_path / "backup"), env=env_for(tmp_path / "fresh", fresh_url))
        assert run.returncode == 0, run.stderr
        engine = make_engine(fresh_url.replace("postgresql://", "postgresql+psycopg://"))
        restored = summary(engine)
        engine.dispose()
        assert restored == before
        print(f"PostgreSQL backup: {sum(restored['tables'].values())} rows, bills {restored['bills_amount_cents']} "
              f"cents, refunded {restored['bills_refunded_cents']} cents")
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
