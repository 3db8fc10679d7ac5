"""Worker heartbeats: each worker loop (in an app process or `cbportal worker`) upserts
its row in `worker_heartbeat` every BEAT_SECONDS of wall-clock time. This is operations
time, not business time: the test clock may stand still or jump a month, a process does
not. `freshest` tells /readyz and `cbportal doctor` how long ago a worker was alive."""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cbportal.models import WorkerHeartbeat

BEAT_SECONDS = 5.0
FORGET_AFTER = timedelta(days=1)
NAME = f"{socket.gethostname()}:{os.getpid()}"
log = logging.getLogger("cbportal.worker")
_last_beat = 0.0
_started = datetime.now(UTC)


def wall_now() -> datetime:
    return datetime.now(UTC)


def beat(engine: Engine, name: str | None = None, now: datetime | None = None) -> None:
    name, now = name or NAME, now or wall_now()
    with Session(engine) as session:
        updated = session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.name == name)
                                  .values(beat_at=now)).rowcount
        if not updated:
            session.add(WorkerHeartbeat(name=name, started_at=_started, beat_at=now))
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER))
        try:
            session.commit()
        except IntegrityError:  # the same name inserted concurrently: that one beat for us
            session.rollback()


def beat_if_due(engine: Engine) -> None:
    """Beat at most every BEAT_SECONDS; a failing beat is the database's failure, which the
    worker's sources already report, so it is only logged at debug level."""
    global _last_beat
    mono = time.monotonic()
    if mono - _last_beat < BEAT_SECONDS:
        return
    _last_beat = mono
    try:
        beat(engine)
    except Exception as error:  # noqa: BLE001
        from cbportal.services.engine.due import WorkerStopping

        if isinstance(error, WorkerStopping):
            raise
        log.debug("heartbeat failed: %s", type(error).__name__)


def freshest(session: Session, now: datetime | None = None) -> tuple[float | None, int]:
    """Seconds since the freshest beat (None when no worker ever beat) and how many
    workers beat within the last minute."""
    now = now or wall_now()
    last = session.exec(select(func.max(WorkerHeartbeat.beat_at))).one()
    alive = session.exec(select(func.count()).select_from(WorkerHeartbeat)
                         .where(WorkerHeartbeat.beat_at >= now - timedelta(minutes=1))).one()
    if last is None:
        return None, 0
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return max(0.0, (now - last).total_seconds()), int(alive)
