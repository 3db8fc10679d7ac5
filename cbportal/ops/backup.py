"""Backups: `cbportal backup [DEST]` and `cbportal restore SRC`.

A backup is a folder: the database (`cbportal.db`, made with SQLite's online backup API,
a consistent snapshot while the app and workers keep writing; or `cbportal.pgdump`, from
`pg_dump --format=custom`), `secret.key` when the link-signing secret lives in the var
folder (without it, the links in emails already sent stop working), and `manifest.json`:
the schema revision, the row count of every table and the money sums (bills amount and
refunded cents), which `restore` checks after restoring.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, inspect, text
from sqlmodel import Session, SQLModel, select

import cbportal.models  # noqa: F401 - the tables
from cbportal.models import Bill

MANIFEST, SQLITE_FILE, PG_FILE, SECRET_FILE = "manifest.json", "cbportal.db", "cbportal.pgdump", "secret.key"


class BackupError(RuntimeError):
    """Something about a backup or restore that the operator must fix, in plain words."""


def summary(engine: Engine) -> dict:
    """Row counts of every table and the money sums: what a restore must give back."""
    names = set(inspect(engine).get_table_names())
    with Session(engine) as session:
        tables = {t.name: session.execute(text(f'SELECT COUNT(*) FROM "{t.name}"')).scalar_one()
                  for t in SQLModel.metadata.sorted_tables if t.name in names}
        amount, refunded = session.exec(select(func.coalesce(func.sum(Bill.amount_cents), 0),
                                               func.coalesce(func.sum(Bill.refunded_cents), 0))).one() \
            if "bill" in names else (0, 0)
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalars().all() \
            if "alembic_version" in names else []
    return {"tables": tables, "bills_amount_cents": int(amount), "bills_refunded_cents": int(refunded),
            "revision": ",".join(sorted(revision))}


def sqlite_path(url: str) -> Path:
    path = url.split("sqlite:///", 1)[-1]
    if not path or path == ":memory:":
        raise BackupError("DATABASE_URL points at an in-memory SQLite database; there is nothing to back up")
    return Path(path)


def libpq(url: str) -> tuple[str, dict]:
    """The URL for pg_dump/pg_restore without its password, and the environment carrying
    it (PGPASSWORD), so the password does not show in the process list."""
    import os

    from sqlalchemy.engine import URL, make_url

    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    bare = URL.create("postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
                      database=parsed.database, query=parsed.query)
    return bare.render_as_string(hide_password=False), env


@dataclass
class Result:
    folder: Path
    summary: dict


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent snapshot, even while others write (WAL)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one consistent read transaction
        ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the copy of {source} failed SQLite's integrity check: {ok}")
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


def backup(*, database_url: str, var_dir: Path, dest: Path | None = None, now: datetime | None = None,
           secret_from_env: bool = False) -> Result:
    from cbportal.db import make_engine

    now = now or datetime.now(UTC)
    folder = dest or var_dir / "backups" / f"cbportal-{now:%Y%m%d-%H%M%S}"
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} already exists and is not empty; choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite"):
        source = sqlite_path(database_url)
        if not source.exists():
            raise BackupError(f"there is no database at {source}")
        _copy_sqlite(source, folder / SQLITE_FILE)
        engine = make_engine(f"sqlite:///{folder / SQLITE_FILE}")
        kind = "sqlite"
    else:
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed; install the PostgreSQL client (apt install postgresql-client)")
        url, env = libpq(database_url)
        run = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                              f"--file={folder / PG_FILE}", url], capture_output=True, text=True, env=env)
        if run.returncode != 0:
            raise BackupError(f"pg_dump failed: {run.stderr.strip()[:500]}")
        engine = make_engine(database_url)
        kind = "postgresql"
    try:
        figures = summary(engine)
    finally:
        engine.dispose()
    secret = var_dir / SECRET_FILE
    if secret.exists() and not secret_from_env:
        shutil.copy2(secret, folder / SECRET_FILE)
    manifest = {"format": 1, "kind": kind, "created_at": now.isoformat(), **figures,
                "secret_included": (folder / SECRET_FILE).exists()}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return Result(folder, manifest)


def restore(*, source: Path, database_url: str, var_dir: Path, force: bool = False) -> Result:
    """Restore a backup folder into DATABASE_URL (stop the app and workers first), then
    check the row counts and money sums against the manifest, then migrate to head."""
    from cbportal.db import make_engine
    from cbportal.migrations import upgrade

    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} is not a cbportal backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    engine = make_engine(database_url)
    try:
        existing = {k: v for k, v in summary(engine)["tables"].items() if v}
    finally:
        engine.dispose()
    if existing and not force:
        raise BackupError("the target database already holds data; restore into an empty one, or pass --force "
                          "to replace it")
    if manifest["kind"] == "sqlite":
        if not database_url.startswith("sqlite"):
            raise BackupError("this backup is of a SQLite database; set DATABASE_URL to a SQLite file to restore it "
                              "(moving to PostgreSQL is not done by restore)")
        target = sqlite_path(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        src, dst = sqlite3.connect(source / SQLITE_FILE), sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        if database_url.startswith("sqlite"):
            raise BackupError("this backup is of a PostgreSQL database; set DATABASE_URL to PostgreSQL to restore it")
        if shutil.which("pg_restore") is None:
            raise BackupError("pg_restore is not installed; install the PostgreSQL client")
        url, env = libpq(database_url)
        run = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                              f"--dbname={url}", str(source / PG_FILE)], capture_output=True, text=True, env=env)
        if run.returncode != 0:
            raise BackupError(f"pg_restore failed: {run.stderr.strip()[:500]}")
    engine = make_engine(database_url)
    try:
        figures = summary(engine)
    finally:
        engine.dispose()
    expected = {k: manifest[k] for k in ("tables", "bills_amount_cents", "bills_refunded_cents")}
    if {k: figures[k] for k in expected} != expected:
        raise BackupError(f"the restored database does not match the backup's manifest: {figures} != {expected}")
    if (source / SECRET_FILE).exists():
        # the target held no data (or --force): links signed before the backup must keep working
        var_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / SECRET_FILE, var_dir / SECRET_FILE)
    upgrade(database_url)
    return Result(source, figures)
