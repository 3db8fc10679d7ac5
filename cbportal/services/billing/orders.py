"""Reading orders (API.md order shape): the view with bills, attempts and subscription,
and the customer's lookup by receipt + email. Creating orders and rebills come with
the billing work (RULES R5, R6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from cbportal.models import (
    AttemptKind,
    AttemptOutcome,
    Bill,
    Customer,
    Order,
    OrderStatus,
    PaymentAttempt,
    Product,
    Role,
    Subscription,
    VendorAccount,
)
from cbportal.services.accounts import ratelimit
from cbportal.services.accounts.auth import Actor
from cbportal.services.billing import preload
from cbportal.services.core.calendar import frequency_label
from cbportal.services.core.errors import NotFound


def _iso(value):
    return value.isoformat() if value is not None else None


def status_name(status: str) -> str:
    """An order's status as the API and pages name it: paid, partially_refunded, refunded, failed."""
    return "paid" if status == OrderStatus.ACTIVE else str(status)


def order_view(session: Session, order: Order) -> dict:
    product = session.get(Product, order.product_id)
    account = session.get(VendorAccount, order.account_id)
    customer = session.get(Customer, order.customer_id)
    bills = preload.remembered(session, "bills", order.id)       # a batch's, else read
    if bills is preload.MISSING:
        bills = list(session.exec(select(Bill).where(Bill.order_id == order.id).order_by(Bill.seq)))
    attempts: dict[int, list] = {}
    pending: dict[int, int] = {}
    for a in _attempts(session, [b.id for b in bills]):   # the charges listed, the refunds not yet through summed
        if a.kind == AttemptKind.CHARGE:
            attempts.setdefault(a.bill_id, []).append({"at": _iso(a.at), "outcome": str(a.outcome)})
        elif a.kind == AttemptKind.REFUND and refund_in_flight(a):
            pending[a.bill_id] = pending.get(a.bill_id, 0) + a.amount_cents
    sub = preload.remembered(session, "subscription", order.id)
    if sub is preload.MISSING:
        sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
    return {
        "receipt": order.receipt, "sku": product.sku, "title": product.title, "account": account.nickname,
        "customer_email": customer.email, "customer_name": customer.name, "currency": order.currency,
        "created_at": _iso(order.created_at),
        "status": status_name(order.status),
        "refund_pending_cents": sum(pending.values()),
        "bills": [{"seq": b.seq, "kind": str(b.kind), "scheduled_date": b.scheduled_date.isoformat(),
                   "amount_cents": b.amount_cents, "net_cents": b.net_cents,
                   "commission_cents": b.commission_cents, "vendor_cents": b.vendor_cents,
                   "status": str(b.status), "paid_at": _iso(b.paid_at), "refunded_cents": b.refunded_cents,
                   "refund_pending_cents": pending.get(b.id, 0),
                   "attempts": attempts.get(b.id, [])} for b in bills],
        "subscription": None if sub is None else {
            "status": str(sub.status), "next_bill_date": _iso(sub.next_bill_date),
            "payments_remaining": sub.payments_remaining,
            "frequency": {"unit": str(sub.frequency_unit), "count": sub.frequency_count,
                          "label": frequency_label(str(sub.frequency_unit), sub.frequency_count)},
            "rebill_price_cents": sub.rebill_price_cents, "canceled_at": _iso(sub.canceled_at)},
        "vendor_contact": {"email": account.ticket_email, "phone": account.contact_phone, "url": account.contact_url},
    }


def _attempts(session: Session, bill_ids: list[int]) -> list[PaymentAttempt]:
    """The bills' payment attempts in time order: the batch's when it loaded them all, else one read."""
    known = [preload.remembered(session, "attempts", i) for i in bill_ids]
    if preload.MISSING not in known:
        return sorted((a for found in known for a in found), key=lambda a: (a.at, a.id))
    if not bill_ids:
        return []
    return list(session.exec(select(PaymentAttempt).where(PaymentAttempt.bill_id.in_(bill_ids))
                             .order_by(PaymentAttempt.at, PaymentAttempt.id)))


def by_receipt(session: Session, receipt: str) -> Order | None:
    """The order with its product, account and customer loaded in the same read (the views
    and the access checks then find them in the session without a query each)."""
    row = session.exec(select(Order, Product, VendorAccount, Customer)
                       .join(Product, Product.id == Order.product_id)
                       .join(VendorAccount, VendorAccount.id == Order.account_id)
                       .join(Customer, Customer.id == Order.customer_id)
                       .where(Order.receipt == (receipt or "").strip().upper())).first()
    return preload.keep(session, tuple(row))[0] if row else None


def customer_lookup(session: Session, *, receipt: str, email: str) -> Order:
    """The order if the email is the customer's; the same 404 for a wrong receipt or email."""
    order = by_receipt(session, receipt)
    if order:
        customer = session.get(Customer, order.customer_id)
        if customer.email.lower() == (email or "").strip().lower():
            return order
    raise NotFound("no order matches that receipt and email", "order_not_found")


def vendor_order(session: Session, *, actor: Actor, receipt: str, role: Role = Role.MANAGE_ORDERS) -> Order:
    """An order of one of the actor's accounts, for a user with `role` (staff see every
    account); 404 for anyone else's, never revealing that it exists."""
    order = by_receipt(session, receipt)
    account = session.get(VendorAccount, order.account_id) if order else None
    if not order or not actor.can_see_account(account):
        raise NotFound(f"no order {receipt!r} in your accounts", "order_not_found")
    if not actor.is_staff:
        actor.require(role)
    return order


def bill_status_words(bill: dict, currency: str) -> str:
    """A bill's state for people: 'paid', 'refunded', 'paid, $2.00 refunded', '…, refund of $9.95 pending'."""
    from cbportal.services.core.money import format_cents

    words = {"paid": "paid", "refunded": "refunded", "failed": "failed", "pending": "not charged yet"}.get(
        bill["status"], bill["status"])
    if bill["status"] == "paid" and bill["refunded_cents"]:
        words += f", {format_cents(bill['refunded_cents'], currency)} refunded"
    if bill.get("refund_pending_cents"):
        words += f", refund of {format_cents(bill['refund_pending_cents'], currency)} pending"
    return words


def refund_in_flight(attempt: PaymentAttempt) -> bool:
    """A refund begun and not yet through: pending, or refused and due another try."""
    return attempt.outcome == AttemptOutcome.PENDING or (
        attempt.outcome == AttemptOutcome.FAILED and attempt.check_at is not None)


def pending_by_bill(session: Session, bill_ids: list[int]) -> dict[int, int]:
    """Cents of refunds begun and not yet through, per bill (for "refund pending" lines)."""
    if not bill_ids:
        return {}
    rows = session.exec(select(PaymentAttempt.bill_id, func.sum(PaymentAttempt.amount_cents)).where(
        PaymentAttempt.bill_id.in_(bill_ids), PaymentAttempt.kind == AttemptKind.REFUND,
        or_(PaymentAttempt.outcome == AttemptOutcome.PENDING,
            (PaymentAttempt.outcome == AttemptOutcome.FAILED) & PaymentAttempt.check_at.is_not(None)))
        .group_by(PaymentAttempt.bill_id)).all()
    return {bill_id: int(cents) for bill_id, cents in rows}


def guarded_lookup(engine, *, client: str, now: datetime, receipt: str, email: str, signed: bool = False) -> dict:
    """The customer's order view (the portal's lookup), limited per address and receipt
    unless the request carries a valid signed link (`signed`)."""
    from cbportal.db import reader

    keys = [] if signed else ratelimit.reserve(engine, address=client, subject=f"receipt:{receipt}", now=now)
    with reader(engine) as session:
        try:
            view = order_view(session, customer_lookup(session, receipt=receipt, email=email))
        except NotFound:
            raise NotFound("no order matches that receipt and email", "order_not_found") from None
    if keys:
        ratelimit.release(engine, keys)
    return view
