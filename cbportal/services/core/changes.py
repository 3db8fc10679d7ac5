"""The change feed: every change to an account's data writes an audit row in its own
transaction, so the audit log's ids tell any process which accounts changed."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import AuditLog


def latest_id(session: Session) -> int:
    return session.exec(select(func.max(AuditLog.id))).one() or 0


def account_changes_after(session: Session, after_id: int, limit: int = 10_000) -> list[tuple[int, int]]:
    """(audit id, account id) of the account changes committed with an id above `after_id`."""
    return list(session.exec(select(AuditLog.id, AuditLog.account_id)
                             .where(AuditLog.id > after_id, AuditLog.account_id.is_not(None))
                             .order_by(AuditLog.id).limit(limit)))
