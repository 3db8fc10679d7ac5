"""What a customer is told about their purchase, in plain words, in one place: the
confirmation page after checkout, the receipt email and the order page's summary (what was
paid, what will be charged when, the receipt number, the signed links to the order page
and the card update, how to get help and whom to contact; RULES R4, R5)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from cbportal.models import Bill, BillStatus, Customer, Order, Product, Subscription, SubscriptionStatus, VendorAccount
from cbportal.services.core.calendar import frequency_label
from cbportal.services.core.money import format_cents
from cbportal.services.delivery import links

HELP = "Need help, a refund or to cancel? Open a ticket on your order page; the vendor answers there."


def day_words(day: date | None) -> str:
    """'10 February 2026' (bill dates are calendar days of the vendor's zone, R5)."""
    return "" if day is None else f"{day.day} {day:%B %Y}"


def contact(account: VendorAccount) -> dict:
    """The vendor's contact for customers: the customer-service address, else the account
    address (R4), with the phone and support page when set."""
    return {"email": account.ticket_email, "phone": account.contact_phone or "", "url": account.contact_url or ""}


def contact_words(account: VendorAccount) -> str:
    c = contact(account)
    return " · ".join(v for v in (c["email"], c["phone"], c["url"]) if v)


def status_words(sub: Subscription | None, currency: str) -> str:
    """The subscription's state as a sentence for the customer."""
    if sub is None:
        return ""
    price = format_cents(sub.rebill_price_cents, currency)
    every = frequency_label(str(sub.frequency_unit), sub.frequency_count)
    left = ("" if sub.payments_remaining is None
            else f" {sub.payments_remaining} payment{'s' if sub.payments_remaining != 1 else ''} left.")
    if sub.status == SubscriptionStatus.ACTIVE:
        return f"Active: {price} {every}.{left}"
    if sub.status == SubscriptionStatus.DUNNING:
        return ("Payment overdue: we could not charge your card. Update your card and we charge it at once; "
                "otherwise the subscription is canceled after the last retry.")
    if sub.status == SubscriptionStatus.CANCELED:
        when = f" on {day_words(sub.canceled_at.date())}" if sub.canceled_at else ""
        return f"Canceled{when}: nothing more will be charged."
    return "Completed: every payment was made; nothing more will be charged."


def next_charge(sub: Subscription | None, currency: str) -> str:
    """'$9.95 on 10 February 2026', or '' when nothing more will be charged."""
    if sub is None or sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING) \
            or sub.next_bill_date is None:
        return ""
    return f"{format_cents(sub.rebill_price_cents, currency)} on {day_words(sub.next_bill_date)}"


def terms_words(sub: Subscription | None, currency: str, *, for_customer: bool = True) -> str:
    """The recurring terms as agreed at purchase (R5: copied onto the subscription)."""
    if sub is None:
        return ""
    count = "until you cancel" if sub.rebills_total is None else f"{sub.rebills_total} payments after the first"
    first = f", the first on {day_words(sub.next_bill_date)}" if sub.status == SubscriptionStatus.ACTIVE \
        and sub.next_bill_date else ""
    return (f"{format_cents(sub.rebill_price_cents, currency)} "
            f"{frequency_label(str(sub.frequency_unit), sub.frequency_count)}, {count}{first}."
            + (" You can cancel at any time from your order page." if for_customer else ""))


def summary(session: Session, order: Order, *, base_url: str, secret: str) -> dict:
    """Everything the confirmation page and the receipt email say about this order."""
    customer = session.get(Customer, order.customer_id)
    account = session.get(VendorAccount, order.account_id)
    product = session.get(Product, order.product_id)
    first = session.exec(select(Bill).where(Bill.order_id == order.id).order_by(Bill.seq)).first()
    sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
    if first is None:
        trial = f" ({sub.trial_days}-day free trial)" if sub is not None and sub.trial_days else ""
        paid = f"Nothing was charged today{trial}."
    elif first.status == BillStatus.PAID:
        paid = f"You paid {format_cents(first.amount_cents, order.currency)}."
    elif first.status == BillStatus.PENDING:
        paid = (f"Your payment of {format_cents(first.amount_cents, order.currency)} is being processed; "
                "we email you when it has gone through.")
    else:
        paid = f"Your payment of {format_cents(first.amount_cents, order.currency)} did not go through."
    order_url = links.customer_order_url(base_url, secret, order.receipt, customer.email)
    nxt = next_charge(sub, order.currency)
    return {
        "receipt": order.receipt, "title": product.title, "vendor": account.nickname, "email": customer.email,
        "name": customer.name, "paid": paid,
        "next_charge": nxt or "Nothing more will be charged", "next_charge_due": bool(nxt),
        "terms": terms_words(sub, order.currency), "status": status_words(sub, order.currency),
        "order_url": order_url, "card_url": links.card_update_url(base_url, secret, order.receipt, customer.email),
        "contact": contact_words(account), "help": HELP,
    }
