"""All of one customer's orders (issue 15 point 2): a signed "my orders" link, emailed on
request to the address itself (never shown on the page, so only its owner can open it), and
the list that link opens. Asking again within 10 minutes sends nothing more."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from cbportal.models import Customer, EmailOutbox, Order, Product, VendorAccount
from cbportal.services.accounts.accounts import valid_email
from cbportal.services.billing import orders, purchase
from cbportal.services.core.errors import Invalid
from cbportal.services.delivery import links, mail

RESEND_AFTER = timedelta(minutes=10)


def _orders(session: Session, email: str):
    return session.exec(
        select(Order, Product, VendorAccount).join(Customer, Customer.id == Order.customer_id)
        .join(Product, Product.id == Order.product_id).join(VendorAccount, VendorAccount.id == Order.account_id)
        .where(Customer.email == email.strip().lower(), Order.status != "failed")
        .order_by(Order.created_at.desc(), Order.id.desc())).all()


def request_link(session: Session, *, now: datetime, email: str, base_url: str, secret: str) -> bool:
    """Email the signed list link when this address has orders; True when one was queued.
    The caller tells the visitor the same either way (no one learns whose orders exist)."""
    try:
        address = valid_email(email.strip(), "email")
    except Invalid:
        raise Invalid("this does not look like an email address", "invalid_email") from None
    if not address or not _orders(session, address):
        return False
    recent = session.exec(select(EmailOutbox.id).where(EmailOutbox.kind == "my_orders", EmailOutbox.to_addr == address,
                                                       EmailOutbox.created_at > now - RESEND_AFTER)).first()
    if recent:
        return False
    mail.queue(session, now=now, kind="my_orders", to=address, subject="Your orders",
               why="You asked for a link to all your orders. It opens the list without a password.",
               lines=["If you did not ask for it, you can ignore this email."],
               link=links.my_orders_url(base_url, secret, address), link_text="See all your orders")
    return True


def order_list(session: Session, *, email: str, secret: str) -> list[dict]:
    """The orders of `email`, newest first, each with its signed order-page link."""
    rows = []
    for order, product, account in _orders(session, email):
        rows.append({"receipt": order.receipt, "title": product.title, "vendor": account.nickname,
                     "date": purchase.day_words(order.created_at.date()),
                     "status": orders.status_name(order.status).replace("_", " "),
                     "url": links.customer_order_url("", secret, order.receipt, email.strip().lower())})
    return rows
