"""Instant notifications (RULES R9): events written to the INS outbox in the caller's
transaction, delivered to the vendor's URL as signed JSON with retries and backoff,
every attempt logged for the vendor to see."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, update
from sqlmodel import Session, select

from cbportal.models import InsDelivery, InsOutbox, VendorAccount
from cbportal.services.delivery import outbound

EVENTS = ("SALE", "BILL", "RFND", "CANCEL-REBILL", "UNCANCEL-REBILL", "SUBSCRIPTION-CHANGE", "TEST")
SIGNATURE_HEADER = "X-Cbportal-Signature"
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6)]
MAX_ATTEMPTS = 10
TIMEOUT = 5                       # seconds per POST: a dead endpoint holds a message this long at most
CONCURRENCY, PER_URL = 32, 4      # POSTs in flight at once, in all and to one account's URL
LEASE = timedelta(minutes=1)      # a claimed message is not claimed again before this


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def emit(session: Session, *, now: datetime, account: VendorAccount, event: str, payload: dict) -> InsOutbox | None:
    """Queue an event for the account's INS URL (nothing when it has none)."""
    if event not in EVENTS:
        raise ValueError(f"unknown INS event {event}")
    if not account.ins_url:
        return None
    row = InsOutbox(account_id=account.id, event_type=event, created_at=now, next_attempt_at=now,
                    payload={"event": event, "account": account.nickname, "at": now.isoformat(), **payload})
    session.add(row)
    return row


def next_due(session: Session) -> datetime | None:
    return session.exec(select(func.min(InsOutbox.next_attempt_at)).where(
        InsOutbox.delivered_at.is_(None), InsOutbox.gave_up_at.is_(None))).one()


def allow_private() -> bool:
    """Loopback and private INS URLs only when CBPORTAL_INS_ALLOW_PRIVATE=1 (tests)."""
    from cbportal.settings import get_settings

    return get_settings().ins_allow_private


def _post(url: str, body: bytes, signature: str) -> int:
    """Checked after DNS resolution, at the delivery itself (the URL's address may have
    changed since it was saved); no redirects followed (outbound.post)."""
    return outbound.post(url, body, {"Content-Type": "application/json", SIGNATURE_HEADER: signature},
                         allow_private=allow_private(), timeout=TIMEOUT)


def _claim(engine: Engine, now: datetime, limit: int, full: set) -> list[tuple[InsOutbox, str, str]]:
    """Claim up to `limit` due messages in one statement, none of accounts whose URL has
    PER_URL messages in flight: one more attempt, leased until its backoff. Returns each
    with its account's URL and secret (one query for the batch)."""
    due = select(InsOutbox.id).where(InsOutbox.delivered_at.is_(None), InsOutbox.gave_up_at.is_(None),
                                     InsOutbox.next_attempt_at <= now)
    if full:
        due = due.where(InsOutbox.account_id.not_in(full))
    due = due.order_by(InsOutbox.next_attempt_at, InsOutbox.id).limit(limit)
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    with Session(engine, expire_on_commit=False) as session:
        rows = list(session.exec(update(InsOutbox).where(InsOutbox.id.in_(due.scalar_subquery()),
                                                         InsOutbox.delivered_at.is_(None))
                                 .values(attempts=InsOutbox.attempts + 1, next_attempt_at=now + LEASE)
                                 .returning(InsOutbox)).scalars())
        accounts = {a.id: (a.ins_url or "", a.ins_secret or "") for a in session.exec(
            select(VendorAccount).where(VendorAccount.id.in_({r.account_id for r in rows})))} if rows else {}
        session.commit()
        for row in rows:
            session.expunge(row)
    return [(row, *accounts[row.account_id]) for row in rows]


def deliver_due(engine: Engine, now: datetime, clock=None) -> int:
    """POST every due INS message, several at once (at most PER_URL to one account's URL,
    CONCURRENCY in all, TIMEOUT seconds each: services/delivery/fanout.py), so a dead endpoint holds
    only its own messages; 2xx delivers it, anything else retries with backoff. Every
    attempt is logged at its instant (`clock`, or `now` when none is given)."""
    from cbportal.services.delivery import fanout

    def instant() -> datetime:
        return max(now, clock.now()) if clock is not None else now

    def send(item):
        row, url, secret = item
        body = json.dumps(row.payload, sort_keys=True).encode()
        started, status, error = time.monotonic(), None, None
        try:
            status = _post(url, body, sign(secret, body))
        except outbound.OutboundRefused as refused:  # retry later; only our own error name is kept
            error = refused.code
        return instant(), status, error, int((time.monotonic() - started) * 1000)

    def record(got) -> None:
        with Session(engine) as session:
            for (row, _, _), (at, status, error, ms) in got:
                session.add(InsDelivery(outbox_id=row.id, at=at, status_code=status, error=error, duration_ms=ms))
                if status is not None and 200 <= status < 300:
                    values = {"delivered_at": at}
                    done[0] += 1
                elif row.attempts >= MAX_ATTEMPTS:
                    values = {"gave_up_at": at}
                else:
                    values = {"next_attempt_at": at + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]}
                session.execute(update(InsOutbox).where(InsOutbox.id == row.id, InsOutbox.attempts == row.attempts)
                                .values(**values))
            session.commit()

    done = [0]
    fanout.deliver(claim=lambda limit, full: _claim(engine, instant(), limit, {int(d) for d in full}), send=send,
                   record=record, destination=lambda item: str(item[0].account_id), per_destination=PER_URL,
                   total=CONCURRENCY)
    return done[0]


def run_due(engine: Engine, now: datetime) -> int:
    """The worker's INS source: attempts stamped with the live worker's clock (services/engine/due.py)."""
    from cbportal.services.engine.due import live_clock

    return deliver_due(engine, now, clock=live_clock())
