"""Figures for the dashboard home pages (counts per account, staff queue)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import Order, Product, ProductStatus, Subscription, Ticket, VendorAccount
from cbportal.services.accounts import accounts_of
from cbportal.services.auth import Actor


def account_summaries(session: Session, *, actor: Actor, now) -> list[dict]:
    rows = []
    for account in accounts_of(session, actor):
        def count(model, *where):
            return session.exec(select(func.count()).select_from(model).where(*where)).one()

        rows.append({
            "nickname": account.nickname, "time_zone": account.time_zone,
            "open_tickets": count(Ticket, Ticket.account_id == account.id, Ticket.status == "open"),
            "due_24h": count(Ticket, Ticket.account_id == account.id, Ticket.status == "open",
                             Ticket.process_at.is_not(None), Ticket.process_at <= now + timedelta(hours=24)),
            "active_subscriptions": count(Subscription, Subscription.account_id == account.id,
                                          Subscription.status == "active"),
            "orders_30d": count(Order, Order.account_id == account.id, Order.created_at >= now - timedelta(days=30)),
        })
    return rows


def staff_summary(session: Session, *, actor: Actor) -> dict:
    actor.require_staff()
    pending = session.exec(select(Product, VendorAccount).join(VendorAccount, Product.account_id == VendorAccount.id)
                           .where(Product.status == ProductStatus.PENDING).order_by(Product.created_at)).all()
    return {"pending": [{"sku": p.sku, "account": a.nickname, "title": p.title} for p, a in pending],
            "accounts": session.exec(select(func.count()).select_from(VendorAccount)).one()}
