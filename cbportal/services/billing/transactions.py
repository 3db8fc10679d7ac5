"""Transactions: searching the orders of the actor's accounts (receipt, customer email,
product, date range) page by page, the transaction window of one order, and the CSV
export (RULES R8: Manage Orders; staff see every account)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import Bill, Customer, Order, OrderStatus, Product, Role, Subscription, VendorAccount
from cbportal.services.accounts.accounts import accounts_for
from cbportal.services.accounts.auth import Actor
from cbportal.services.billing import orders
from cbportal.services.core import calendar
from cbportal.services.core.errors import Invalid
from cbportal.services.core.money import units
from cbportal.services.core.prefix import starts_with
from cbportal.services.core.timefmt import local_text
from cbportal.services.tickets import lifecycle as tickets

PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


def _accounts(session: Session, actor: Actor, account: str | None) -> list[VendorAccount]:
    return accounts_for(session, actor, Role.MANAGE_ORDERS, account or "")


def _query(session: Session, actor: Actor, *, account=None, receipt="", email="", sku="",
           date_from: date | None = None, date_to: date | None = None):
    accounts = _accounts(session, actor, account)
    if date_from and date_to and date_to < date_from:
        raise Invalid("the end date is before the start date", "invalid_date_range")
    tz = accounts[0].time_zone if accounts else "UTC"
    # A declined first payment is not an order: the customer was told none was placed (issue 15).
    conditions = [Order.account_id.in_([a.id for a in accounts]), Order.status != OrderStatus.FAILED]
    if receipt.strip():
        conditions.append(Order.receipt == receipt.strip().upper())
    if email.strip():
        value = email.strip().lower()
        conditions.append(Customer.email == value if "@" in value else starts_with(session, Customer.email, value))
    if sku.strip():                      # any case: "acme-pro" finds ACME-PRO
        conditions.append(func.lower(Product.sku) == sku.strip().lower())
    if date_from:
        conditions.append(Order.created_at >= calendar.local_midnight(date_from, tz))
    if date_to:
        conditions.append(Order.created_at < calendar.local_midnight(date_to + timedelta(days=1), tz))
    base = (select(Order.receipt, Order.created_at, Order.status, Order.currency, Customer.email, Customer.name,
                   Product.sku, Product.title, VendorAccount.nickname, Subscription.status)
            .join(Customer, Customer.id == Order.customer_id).join(Product, Product.id == Order.product_id)
            .join(VendorAccount, VendorAccount.id == Order.account_id)
            .outerjoin(Subscription, Subscription.order_id == Order.id).where(*conditions))
    count = select(func.count()).select_from(Order)
    if email.strip():
        count = count.join(Customer, Customer.id == Order.customer_id)
    if sku.strip():
        count = count.join(Product, Product.id == Order.product_id)
    count = count.where(*conditions)
    return base, count


def _zones(session: Session, actor: Actor) -> dict[str, str]:
    """Each account's time zone by nickname (read apart: selecting it in the page query makes
    SQLite sort every order instead of walking the created_at index)."""
    return {a.nickname: a.time_zone for a in accounts_for(session, actor, Role.MANAGE_ORDERS)}


def _row(r, zones: dict[str, str]) -> dict:
    receipt, created_at, status, currency, email, name, sku, title, nickname, sub_status = r
    tz = zones.get(nickname, "UTC")
    return {"receipt": receipt, "created_at": created_at.isoformat(), "created_local": local_text(created_at, tz),
            "time_zone": tz, "status": orders.status_name(status),
            "currency": currency,
            "customer_email": email, "customer_name": name, "sku": sku, "title": title, "account": nickname,
            "subscription": str(sub_status) if sub_status else ""}


def search(session: Session, *, actor: Actor, page: int = 1, page_size: int = PAGE_SIZE, **filters) -> dict:
    """One page of matching orders, newest first, with the total count."""
    page, page_size = max(1, int(page)), min(max(1, int(page_size)), MAX_PAGE_SIZE)
    base, count = _query(session, actor, **filters)
    total = session.exec(count).one()
    rows = session.exec(base.order_by(Order.created_at.desc(), Order.id.desc())
                        .offset((page - 1) * page_size).limit(page_size)).all()
    zones = _zones(session, actor)
    return {"rows": [_row(r, zones) for r in rows], "total": total, "page": page,
            "pages": max(1, -(-total // page_size))}


def window(session: Session, *, actor: Actor, receipt: str) -> dict:
    """The transaction window: the order with its bills and subscription, and its tickets."""
    order = orders.vendor_order(session, actor=actor, receipt=receipt)
    view = orders.order_view(session, order)
    tz = session.get(VendorAccount, order.account_id).time_zone
    view["time_zone"] = tz
    view["created_local"] = local_text(order.created_at, tz)
    view["tickets"] = [{"id": t.id, "type": str(t.type), "status": str(t.status), "opened_at": t.opened_at.isoformat(),
                        "opened_local": local_text(t.opened_at, tz), "opened_by": str(t.opened_by)}
                       for t in tickets.order_tickets(session, order)]
    view["product_kind"] = str(session.get(Product, order.product_id).kind)
    return view


CSV_COLUMNS = ["receipt", "created", "time_zone", "account", "sku", "title", "customer_email", "customer_name",
               "status", "subscription", "currency", "paid", "refunded", "net", "commission", "earnings"]
AMOUNTS = CSV_COLUMNS[-5:]


def export_csv(session: Session, *, actor: Actor, **filters) -> str:
    """Every matching order as CSV: times in the account's zone, amounts in currency units
    (29.95), and a last row with the totals per currency."""
    base, _ = _query(session, actor, **filters)
    totals = (select(Bill.order_id, func.sum(Bill.amount_cents), func.sum(Bill.refunded_cents),
                     func.sum(Bill.net_cents), func.sum(Bill.commission_cents), func.sum(Bill.vendor_cents))
              .where(Bill.status.in_(["paid", "refunded"])).group_by(Bill.order_id).subquery())
    query = base.add_columns(totals.c[1], totals.c[2], totals.c[3], totals.c[4], totals.c[5]).outerjoin(
        totals, totals.c.order_id == Order.id).order_by(Order.created_at.desc(), Order.id.desc())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    totals: dict[str, list[int]] = {}
    count: dict[str, int] = {}
    zones = _zones(session, actor)
    for r in session.exec(query):
        row = _row(r[:10], zones)
        cents = [int(v or 0) for v in r[10:]]
        writer.writerow([row["receipt"], row["created_local"], row["time_zone"], row["account"], row["sku"],
                         row["title"], row["customer_email"], row["customer_name"], row["status"],
                         row["subscription"], row["currency"]] + [units(c) for c in cents])
        sums = totals.setdefault(row["currency"], [0] * len(AMOUNTS))
        totals[row["currency"]] = [a + b for a, b in zip(sums, cents, strict=False)]
        count[row["currency"]] = count.get(row["currency"], 0) + 1
    for currency in sorted(totals):
        writer.writerow([f"Total ({count[currency]} orders)", "", "", "", "", "", "", "", "", "", currency]
                        + [units(c) for c in totals[currency]])
    return out.getvalue()
