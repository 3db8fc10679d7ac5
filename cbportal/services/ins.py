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
from cbportal.services import outbound

EVENTS = ("SALE", "BILL", "RFND", "CANCEL-REBILL", "UNCANCEL-REBILL", "SUBSCRIPTION-CHANGE", "TEST")
SIGNATURE_HEADER = "X-Cbportal-Signature"
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6)]
MAX_ATTEMPTS = 10


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
                         allow_private=allow_private(), timeout=10)


def deliver_due(engine: Engine, now: datetime) -> int:
    """POST every due INS message; 2xx delivers it, anything else retries with backoff."""
    with Session(engine) as session:
        ids = list(session.exec(select(InsOutbox.id).where(
            InsOutbox.delivered_at.is_(None), InsOutbox.gave_up_at.is_(None), InsOutbox.next_attempt_at <= now)
            .order_by(InsOutbox.next_attempt_at).limit(100)))
    done = 0
    for outbox_id in ids:
        with Session(engine) as session:
            row = session.get(InsOutbox, outbox_id)
            attempts = row.attempts + 1
            lease = now + BACKOFF[min(attempts, len(BACKOFF)) - 1]
            if session.execute(update(InsOutbox).where(InsOutbox.id == outbox_id, InsOutbox.attempts == row.attempts,
                                                       InsOutbox.delivered_at.is_(None))
                               .values(attempts=attempts, next_attempt_at=lease)).rowcount != 1:
                continue
            session.commit()
            account = session.get(VendorAccount, row.account_id)
            body = json.dumps(row.payload, sort_keys=True).encode()
            started, status, error = time.monotonic(), None, None
            try:
                status = _post(account.ins_url or "", body, sign(account.ins_secret or "", body))
            except outbound.OutboundRefused as refused:  # retry later; only our own error name is kept
                error = refused.code
            session.add(InsDelivery(outbox_id=outbox_id, at=now, status_code=status, error=error,
                                    duration_ms=int((time.monotonic() - started) * 1000)))
            row = session.get(InsOutbox, outbox_id)
            if status is not None and 200 <= status < 300:
                row.delivered_at = now
                done += 1
            elif attempts >= MAX_ATTEMPTS:
                row.gave_up_at = now
            session.add(row)
            session.commit()
    return done
