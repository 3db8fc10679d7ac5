"""The Subscriptions list under Reports (issue 16, the seed's Subscriptions report): every
subscription of the actor's accounts with its status, product, next bill date and amount
and payments left; filtered by status, product and next bill date; page by page and as CSV
in currency units. Needs report access (R8: the permissions page's separate switch)."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import Customer, Order, Product, Role, Subscription, SubscriptionStatus, VendorAccount
from cbportal.services.accounts.accounts import accounts_for
from cbportal.services.accounts.auth import Actor
from cbportal.services.core.errors import Invalid
from cbportal.services.core.money import units

PAGE_SIZE = 25
STATUS_WORDS = {"active": "active", "dunning": "in dunning", "canceled": "canceled", "completed": "completed"}


def _query(session: Session, actor: Actor, *, account: str = "", status: str = "", sku: str = "",
           bill_from: date | None = None, bill_to: date | None = None):
    ids = [a.id for a in accounts_for(session, actor, Role.REPORT_ACCESS, account or "")]
    if status and status not in SubscriptionStatus._value2member_map_:
        raise Invalid("status is active, dunning, canceled or completed", "invalid_status")
    if bill_from and bill_to and bill_to < bill_from:
        raise Invalid("the end date is before the start date", "invalid_date_range")
    where = [Subscription.account_id.in_(ids or [-1])]
    if status:
        where.append(Subscription.status == status)
    if sku.strip():
        where.append(func.lower(Product.sku) == sku.strip().lower())
    if bill_from:
        where.append(Subscription.next_bill_date >= bill_from)
    if bill_to:
        where.append(Subscription.next_bill_date <= bill_to)
    base = (select(Order.receipt, VendorAccount.nickname, Product.sku, Product.title, Customer.email,
                   Subscription.status, Subscription.next_bill_date, Subscription.rebill_price_cents,
                   Order.currency, Subscription.payments_remaining)
            .join(Order, Order.id == Subscription.order_id).join(Product, Product.id == Order.product_id)
            .join(Customer, Customer.id == Order.customer_id)
            .join(VendorAccount, VendorAccount.id == Subscription.account_id).where(*where))
    count = (select(func.count()).select_from(Subscription).join(Order, Order.id == Subscription.order_id)
             .join(Product, Product.id == Order.product_id).where(*where))
    # Soonest next bill first; finished subscriptions (no next bill) last.
    order = (Subscription.next_bill_date.is_(None), Subscription.next_bill_date, Order.receipt)
    return base.order_by(*order), count


def _row(r) -> dict:
    receipt, nickname, sku, title, email, status, next_date, price, currency, left = r
    running = str(status) in ("active", "dunning")
    return {"receipt": receipt, "account": nickname, "sku": sku, "title": title, "customer_email": email,
            "status": str(status), "status_text": STATUS_WORDS.get(str(status), str(status)),
            "next_bill_date": next_date.isoformat() if next_date and running else "",
            "next_amount_cents": price if running else None, "currency": currency,
            "payments_left": left}


def search(session: Session, *, actor: Actor, page: int = 1, **filters) -> dict:
    """One page of subscriptions (soonest next bill first) with the total count."""
    page = max(1, int(page))
    base, count = _query(session, actor, **filters)
    total = session.exec(count).one()
    rows = session.exec(base.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return {"rows": [_row(r) for r in rows], "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE))}


CSV_COLUMNS = ["receipt", "account", "sku", "title", "customer_email", "status", "next_bill_date",
               "next_amount", "currency", "payments_left"]


def export_csv(session: Session, *, actor: Actor, **filters) -> str:
    """Every matching subscription; amounts in currency units (9.95), "until canceled" when
    the number of payments is open."""
    base, _ = _query(session, actor, **filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in session.exec(base):
        row = _row(r)
        writer.writerow([row["receipt"], row["account"], row["sku"], row["title"], row["customer_email"],
                         row["status_text"], row["next_bill_date"],
                         "" if row["next_amount_cents"] is None else units(row["next_amount_cents"]),
                         row["currency"], "until canceled" if row["payments_left"] is None else row["payments_left"]])
    return out.getvalue()
