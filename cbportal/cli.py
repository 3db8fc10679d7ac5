"""Command line: `cbportal migrate`, `cbportal demo [--if-empty]`, `cbportal worker`,
`cbportal doctor`, `cbportal backup [DEST]`, `cbportal restore SRC [--force]`,
`cbportal mail-in [--host H] [--port P] [--lmtp]` (docs/inbound-email.md)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
from pathlib import Path

from cbportal.settings import SettingsError, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cbportal")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="alembic upgrade head on DATABASE_URL")
    demo = sub.add_parser("demo", help="load demo data")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the database has users")
    sub.add_parser("worker", help="run the worker (timers and outboxes) in this process; SIGTERM stops it within 5 s")
    sub.add_parser("doctor", help="check the configuration and the services it points at")
    backup = sub.add_parser("backup", help="back up the database (and the link secret) into a new folder")
    backup.add_argument("dest", nargs="?", type=Path, help="folder to create (default: $CBPORTAL_VAR_DIR/backups/...)")
    restore = sub.add_parser("restore", help="restore a backup folder into DATABASE_URL (stop the app first)")
    restore.add_argument("source", type=Path, help="a folder made by `cbportal backup`")
    restore.add_argument("--force", action="store_true", help="replace a database that already holds data")
    mail_in = sub.add_parser("mail-in", help="receive email for tickets (SMTP or LMTP) until SIGTERM")
    mail_in.add_argument("--host", help="address to listen on (default CBPORTAL_MAIL_IN_HOST, 127.0.0.1)")
    mail_in.add_argument("--port", type=int, help="port (default CBPORTAL_MAIL_IN_PORT, 2525)")
    mail_in.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
    args = parser.parse_args(argv)
    if args.command == "doctor":  # reports bad settings itself, in words
        from cbportal.ops.doctor import main as doctor

        return doctor()
    try:
        settings = get_settings()
        from cbportal.ops.logs import configure

        configure()
    except SettingsError as error:
        print(f"cbportal: bad setting: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from cbportal.migrations import upgrade

        upgrade(settings.database_url)
        print(f"cbportal: schema up to date on {settings.database_url.split('@')[-1]}")
        return 0
    if args.command in ("backup", "restore"):
        return _backup_or_restore(args, settings)
    from cbportal.db import get_engine
    from cbportal.services.core.clock import get_clock

    if args.command == "demo":
        from sqlmodel import Session

        from cbportal.services.engine import demo as demo_data

        with Session(get_engine()) as session:
            if not demo_data.is_empty(session):
                if args.if_empty:
                    print("cbportal: database has data; demo not loaded")
                    return 0
                print("cbportal: the database is not empty", file=sys.stderr)
                return 1
            counts = demo_data.load(session, now=get_clock().now())
            session.commit()
        print("cbportal: demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0
    if args.command == "worker":
        return _worker(get_engine(), get_clock())
    if args.command == "mail-in":
        return _mail_in(args, settings, get_engine(), get_clock())
    return 1


def _mail_in(args, settings, engine, clock) -> int:
    """Run the inbound mail receiver until SIGTERM or SIGINT."""
    from cbportal.ops.mail_in_server import start

    if not settings.mail_in_domain:
        print("cbportal: bad setting: mail-in needs CBPORTAL_MAIL_IN_DOMAIN (the domain your mail server "
              "forwards to cbportal)", file=sys.stderr)
        return 2
    host, port = args.host or settings.mail_in_host, args.port or settings.mail_in_port
    lmtp = args.lmtp or settings.mail_in_protocol == "lmtp"
    controller = start(engine, clock, host=host, port=port, lmtp=lmtp)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"cbportal: receiving {'LMTP' if lmtp else 'SMTP'} mail for {settings.mail_in_domain} on {host}:{port} "
          f"(SIGTERM or Ctrl-C stops it)", flush=True)
    stop.wait()
    controller.stop()
    return 0


def _worker(engine, clock) -> int:
    """Run the worker until SIGTERM or SIGINT; then let the current pass finish what it can
    and exit within 5 s (see services.worker.run_forever)."""
    from cbportal.services.engine.worker import run_forever

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_forever(engine, clock, stop=stop)

    print("cbportal: worker running (SIGTERM or Ctrl-C stops it)", flush=True)
    asyncio.run(run())
    if any(t.name == "cbportal-worker-pass" and t.is_alive() for t in threading.enumerate()):
        # A pass cut off mid-transaction: leave now; the database rolls that transaction back.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


def _backup_or_restore(args, settings) -> int:
    from cbportal.ops.backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            result = backup(database_url=settings.database_url, var_dir=settings.var_dir, dest=args.dest,
                            secret_from_env=bool(os.environ.get("CBPORTAL_SECRET")))
            verb = "backed up into"
        else:
            result = restore(source=args.source, database_url=settings.database_url, var_dir=settings.var_dir,
                             force=args.force)
            verb = "restored from"
    except BackupError as error:
        print(f"cbportal: {error}", file=sys.stderr)
        return 1
    figures = result.summary
    rows = sum(figures["tables"].values())
    print(f"cbportal: {verb} {result.folder}: {rows} rows in {len(figures['tables'])} tables, bills "
          f"{figures['bills_amount_cents']} cents, refunded {figures['bills_refunded_cents']} cents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
