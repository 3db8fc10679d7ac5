"""The vendor's side of instant notifications (R9): send a TEST event to the account's
INS URL, and the delivery log (every message with its attempts and their outcome)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from cbportal.models import InsDelivery, InsOutbox
from cbportal.services.accounts.accounts import visible_account
from cbportal.services.accounts.auth import Actor
from cbportal.services.core import audit
from cbportal.services.core.errors import Conflict, Forbidden
from cbportal.services.delivery import ins, outbound


def send_test(session: Session, *, now: datetime, actor: Actor, nickname: str) -> InsOutbox:
    """Queue a TEST event; the worker delivers it like any other (owner only)."""
    account = visible_account(session, actor, nickname)
    if not actor.is_owner:
        raise Forbidden("only the account owner may send a test notification", "owner_only")
    if not account.ins_url:
        raise Conflict("set an INS URL first", "no_ins_url")
    row = ins.emit(session, now=now, account=account, event="TEST", payload={"message": "cbportal INS test"})
    session.flush()
    audit.record(session, now=now, actor=actor, action="ins.test", entity="ins_outbox", entity_id=row.id,
                 account_id=account.id)
    return row


def delivery_log(session: Session, *, actor: Actor, nickname: str, limit: int = 50) -> list[dict]:
    """The account's latest INS messages, newest first, each with its last attempt."""
    account = visible_account(session, actor, nickname)
    if not actor.is_owner:
        raise Forbidden("only the account owner may see the INS log", "owner_only")
    messages = session.exec(select(InsOutbox).where(InsOutbox.account_id == account.id)
                            .order_by(InsOutbox.id.desc()).limit(limit)).all()
    last: dict[int, InsDelivery] = {}
    if messages:
        for delivery in session.exec(select(InsDelivery).where(InsDelivery.outbox_id.in_([m.id for m in messages]))
                                     .order_by(InsDelivery.id)):
            last[delivery.outbox_id] = delivery
    rows = []
    for m in messages:
        d = last.get(m.id)
        state = "delivered" if m.delivered_at else ("gave up" if m.gave_up_at else
                                                    ("retrying" if m.attempts else "queued"))
        rows.append({"id": m.id, "event": m.event_type, "created_at": m.created_at.isoformat()[:19].replace("T", " "),
                     "attempts": m.attempts, "state": state,
                     "last_result": "" if d is None else (f"HTTP {d.status_code}" if d.status_code
                                                          else outbound.describe(d.error)),
                     "duration_ms": 0 if d is None else d.duration_ms})
    return rows
