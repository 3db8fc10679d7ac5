"""Platform staff review new products (RULES R1, R5, R8; issue 16 point 6).

`review_queue` shows each product awaiting approval with every term in plain words (price,
frequency, trial, number of payments, shipping, description) and the commission split
preview by R1's exact rounding (net, affiliate commission, vendor earnings, per initial
sale and per rebill, and the affiliate's total over a fixed term). `decide` approves, or
rejects with a reason that is emailed to the vendor (kind `product_rejected`, through the
outbox in the same transaction) and kept in the audit log. Staff only.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from cbportal.models import Product, ProductKind, ProductStatus, VendorAccount
from cbportal.services.accounts.auth import Actor
from cbportal.services.billing import products
from cbportal.services.core import audit, calendar, money
from cbportal.services.core.errors import Invalid
from cbportal.services.delivery import mail

MIN_REASON = 5


def _split(price: int, *, rebill: bool, bp: int, currency: str) -> dict:
    net, commission, vendor = money.split_bill(price, rebill=rebill, commission_bp=bp, affiliate=True)
    fmt = lambda c: money.format_cents(c, currency)  # noqa: E731
    return {"price": fmt(price), "net": fmt(net), "commission": fmt(commission), "vendor": fmt(vendor),
            "rate": f"{bp / 100:g}%", "net_cents": net, "commission_cents": commission, "vendor_cents": vendor}


def terms(product: Product, account: VendorAccount) -> dict:
    """Every term of `product` in words, with the R1 split preview."""
    cur = product.currency
    initial = ("Free (the trial starts at once)" if product.initial_price_cents == 0
               else money.format_cents(product.initial_price_cents, cur))
    row = {"sku": product.sku, "account": account.nickname, "title": product.title,
           "description": product.description or "(no description)", "currency": cur, "initial": initial,
           "kind": "Physical" if product.kind == ProductKind.PHYSICAL else "Digital",
           "shipping": (("Ships to " + ", ".join(product.ship_to)) if product.ship_to else "Ships nowhere yet")
           if product.kind == ProductKind.PHYSICAL else "Nothing shipped (digital)",
           "frequency": "One payment (not recurring)", "rebill": "", "trial": "", "payments": "",
           "initial_split": _split(product.initial_price_cents, rebill=False, bp=product.commission_initial_bp,
                                   currency=cur),
           "rebill_split": None, "affiliate_total": ""}
    if product.recurring:
        unit, count = str(product.frequency_unit), product.frequency_count
        row["frequency"] = calendar.frequency_label(unit, count).capitalize() + (
            " (needs the admin-frequency permission)" if calendar.is_admin_frequency(unit, count) else "")
        row["rebill"] = money.format_cents(product.rebill_price_cents, cur)
        row["trial"] = f"{product.trial_days} days before the first rebill" if product.trial_days else "No trial"
        row["payments"] = (f"{product.rebills} rebills after the initial payment" if product.rebills
                           else "Rebills until the customer cancels")
        split = _split(product.rebill_price_cents, rebill=True, bp=product.commission_rebill_bp, currency=cur)
        row["rebill_split"] = split
        if product.rebills:
            total = row["initial_split"]["commission_cents"] + product.rebills * split["commission_cents"]
            row["affiliate_total"] = (f"{money.format_cents(total, cur)} to an affiliate over the whole term "
                                      f"(initial + {product.rebills} rebills)")
    return row


def review_queue(session: Session, *, actor: Actor) -> list[dict]:
    """Products awaiting approval, oldest first, with every term."""
    actor.require_staff()
    rows = session.exec(select(Product, VendorAccount).join(VendorAccount, Product.account_id == VendorAccount.id)
                        .where(Product.status == ProductStatus.PENDING).order_by(Product.created_at, Product.id)).all()
    return [terms(p, a) for p, a in rows]


def decide(session: Session, *, now: datetime, actor: Actor, sku: str, approve: bool, reason: str = "") -> Product:
    """Approve, or reject with a reason the vendor is emailed (staff)."""
    actor.require_staff()
    reason = (reason or "").strip()
    if not approve and len(reason) < MIN_REASON:
        raise Invalid("say why the product is rejected: the vendor is emailed the reason", "reason_required")
    product = products.decide_product(session, now=now, actor=actor, sku=sku, approve=approve)
    if approve:
        return product
    account = session.get(VendorAccount, product.account_id)
    mail.queue(session, now=now, kind="product_rejected", to=account.account_email, account_id=account.id,
               subject=f"Your product {product.sku} was not approved",
               why=f"Platform staff reviewed your new product {product.sku} ({product.title}) and did not approve it.",
               lines=[f"The reason: {reason[:2000]}",
                      "You can add the product again with the terms changed; it will be reviewed again."])
    audit.record(session, now=now, actor=actor, action="product.reject_reason", entity="product",
                 entity_id=product.id, account_id=account.id, sku=product.sku, reason=reason[:500])
    return product
