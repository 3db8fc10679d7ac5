"""The audit log: one row per change made by a person, a key or the system."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from cbportal.models import AuditLog


def record(session: Session, *, now: datetime, actor, action: str, entity: str,
           entity_id: int | None = None, account_id: int | None = None, **detail) -> None:
    """Add an audit row to the caller's transaction. `actor` is an Actor, or a str such as 'system'."""
    user_id = getattr(actor, "user_id", None)
    label = getattr(actor, "label", None) or str(actor)
    session.add(AuditLog(at=now, actor_user_id=user_id, actor=label, account_id=account_id,
                         action=action, entity=entity, entity_id=entity_id, detail=detail))
