"""Figures for the dashboard home pages (counts per account, staff queue)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import Order, Product, ProductStatus, Role, Subscription, Ticket, VendorAccount
from cbportal.services.accounts.accounts import accounts_for, accounts_of
from cbportal.services.accounts.auth import Actor
from cbportal.services.core.timefmt import local_text


def account_summaries(session: Session, *, actor: Actor, now) -> list[dict]:
    return [account_summary(session, account, now=now) for account in accounts_of(session, actor)]


def account_summary(session: Session, account: VendorAccount, *, now) -> dict:
    """One account's figures (the caller has checked the actor may see it)."""
    def count(model, *where):
        return session.exec(select(func.count()).select_from(model).where(*where)).one()

    return {
        "nickname": account.nickname, "time_zone": account.time_zone,
        "open_tickets": count(Ticket, Ticket.account_id == account.id, Ticket.status == "open"),
        "due_24h": count(Ticket, Ticket.account_id == account.id, Ticket.status == "open",
                         Ticket.process_at.is_not(None), Ticket.process_at <= now + timedelta(hours=24)),
        "active_subscriptions": count(Subscription, Subscription.account_id == account.id,
                                      Subscription.status == "active"),
        "orders_30d": count(Order, Order.account_id == account.id, Order.created_at >= now - timedelta(days=30)),
    }


def staff_summary(session: Session, *, actor: Actor) -> dict:
    actor.require_staff()
    pending = session.exec(select(Product, VendorAccount).join(VendorAccount, Product.account_id == VendorAccount.id)
                           .where(Product.status == ProductStatus.PENDING).order_by(Product.created_at)).all()
    return {"pending": [{"sku": p.sku, "account": a.nickname, "title": p.title} for p, a in pending],
            "accounts": session.exec(select(func.count()).select_from(VendorAccount)).one()}


def ticket_list(session: Session, *, actor: Actor, status: str = "open", limit: int = 200) -> list[dict]:
    """The actor's accounts' tickets, soonest processing first (Manage Tickets)."""
    ids = [a.id for a in accounts_for(session, actor, Role.MANAGE_TICKETS)]
    query = (select(Ticket, Order, VendorAccount).join(Order, Ticket.order_id == Order.id)
             .join(VendorAccount, Ticket.account_id == VendorAccount.id).where(Ticket.account_id.in_(ids)))
    if status in ("open", "closed"):
        query = query.where(Ticket.status == status)
    query = query.order_by(Ticket.status.desc(), Ticket.process_at.is_(None), Ticket.process_at, Ticket.id.desc())
    return [{"id": t.id, "receipt": o.receipt, "account": a.nickname, "type": str(t.type), "status": str(t.status),
             "opened_by": str(t.opened_by), "process_at": t.process_at.isoformat() if t.process_at else "",
             "opened_at": local_text(t.opened_at, a.time_zone)}
            for t, o, a in session.exec(query.limit(limit))]


def escalations(session: Session, *, actor: Actor) -> list[dict]:
    """Tickets waiting for platform review, oldest first (staff)."""
    from cbportal.models import EscalationStatus

    actor.require_staff()
    rows = session.exec(select(Ticket, Order, VendorAccount).join(Order, Ticket.order_id == Order.id)
                        .join(VendorAccount, Ticket.account_id == VendorAccount.id)
                        .where(Ticket.escalation == EscalationStatus.PENDING).order_by(Ticket.escalated_at)).all()
    return [{"id": t.id, "receipt": o.receipt, "account": a.nickname, "type": str(t.type), "status": str(t.status),
             "flagged": a.abuse_flagged} for t, o, a in rows]
