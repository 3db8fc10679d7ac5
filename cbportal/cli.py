"""Command line: `cbportal migrate`, `cbportal demo [--if-empty]`, `cbportal worker`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from cbportal.settings import SettingsError, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cbportal")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="alembic upgrade head on DATABASE_URL")
    demo = sub.add_parser("demo", help="load demo data")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the database has users")
    sub.add_parser("worker", help="run the worker (timers and outboxes) in this process")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"cbportal: bad setting: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from cbportal.migrations import upgrade

        upgrade(settings.database_url)
        print(f"cbportal: schema up to date on {settings.database_url.split('@')[-1]}")
        return 0
    from cbportal.db import get_engine
    from cbportal.services.clock import get_clock

    if args.command == "demo":
        from sqlmodel import Session

        from cbportal.services import demo as demo_data

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
        from cbportal.services.worker import run_forever

        print("cbportal: worker running (Ctrl-C stops it)")
        try:
            asyncio.run(run_forever(get_engine(), get_clock()))
        except KeyboardInterrupt:
            pass
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
