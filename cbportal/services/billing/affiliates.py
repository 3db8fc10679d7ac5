"""What an affiliate sees (issue 17 point 3; the recurring-products article: "If ClickBank
has sold any recurring products for which you were the vendor or the affiliate, you will
see a link under Subscriptions"): the subscriptions an account referred, as the affiliate
nickname on their orders, with its commission on every bill (R1).

The affiliate is a vendor account of cbportal whose nickname was given as the order's
affiliate (`/buy?aff=nickname`); its users with Manage Orders see these rows for it. The
article shows an affiliate nothing about the customer, so no row carries the customer's
name or email: only the receipt, the product, the vendor, the terms' status and the bills.
Commission earned counts paid bills only; a refunded bill's commission is shown as
reversed (money truth: nothing counts as earned for money that went back)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import Bill, BillStatus, Order, Product, Role, Subscription, VendorAccount
from cbportal.services.accounts.accounts import accounts_for
from cbportal.services.accounts.auth import Actor

LIMIT = 200


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def referred_subscriptions(session: Session, *, actor: Actor, account: str = "") -> dict:
    """The subscriptions referred by the actor's accounts (or the one named) as affiliate,
    newest first, at most `LIMIT`, with every bill's commission and the totals."""
    nicknames = sorted(a.nickname.lower() for a in accounts_for(session, actor, Role.MANAGE_ORDERS, account))
    if actor.is_staff and not account:
        nicknames = []   # staff look at one affiliate at a time (account=...), not at everyone's
    rows = [] if not nicknames else session.exec(
        select(Order, Subscription, Product, VendorAccount)
        .join(Subscription, Subscription.order_id == Order.id)
        .join(Product, Product.id == Order.product_id)
        .join(VendorAccount, VendorAccount.id == Order.account_id)
        .where(func.lower(Order.affiliate).in_(nicknames))
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(LIMIT)).all()
    bills_by_order: dict[int, list[Bill]] = {}
    if rows:
        for bill in session.exec(select(Bill).where(Bill.order_id.in_([o.id for o, *_ in rows]))
                                 .order_by(Bill.order_id, Bill.seq)):
            bills_by_order.setdefault(bill.order_id, []).append(bill)
    out, totals = [], {}
    for order, sub, product, vendor in rows:
        bills = []
        earned = 0
        for bill in bills_by_order.get(order.id, []):
            counted = bill.status == BillStatus.PAID
            earned += bill.commission_cents if counted else 0
            bills.append({"seq": bill.seq, "kind": str(bill.kind), "scheduled_date": bill.scheduled_date.isoformat(),
                          "amount_cents": bill.amount_cents, "commission_cents": bill.commission_cents,
                          "status": str(bill.status),
                          "commission_status": "earned" if counted else (
                              "reversed" if bill.status == BillStatus.REFUNDED else "not earned")})
        totals[order.currency] = totals.get(order.currency, 0) + earned
        out.append({"receipt": order.receipt, "affiliate": order.affiliate.lower(), "vendor": vendor.nickname,
                    "sku": product.sku, "title": product.title, "currency": order.currency,
                    "created_at": _iso(order.created_at), "status": str(sub.status),
                    "next_bill_date": _iso(sub.next_bill_date) if sub.status in ("active", "dunning") else None,
                    "payments_remaining": sub.payments_remaining, "commission_earned_cents": earned, "bills": bills})
    return {"affiliates": nicknames, "subscriptions": out,
            "commission_earned": [{"currency": c, "cents": totals[c]} for c in sorted(totals)]}
