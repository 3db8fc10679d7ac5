"""Billing email (RULES R4, R5, R6): receipt, sale notice, rebill reminder and notice,
payment failed, card invalid, subscription canceled — written to the outbox in the
caller's transaction."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sqlmodel import Session, select

from cbportal import routes
from cbportal.models import Customer, Order, Product, Subscription, VendorAccount
from cbportal.services.billing import purchase
from cbportal.services.core.money import format_cents
from cbportal.services.delivery import links, mail


def _parties(session: Session, order: Order):
    return (session.get(Customer, order.customer_id), session.get(VendorAccount, order.account_id),
            session.get(Product, order.product_id))


def _card_link(order: Order, customer: Customer) -> str:
    from cbportal.settings import get_settings

    s = get_settings()
    return links.card_update_url(s.base_url, s.secret, order.receipt, customer.email)


def _receipt(session: Session, *, now: datetime, order: Order, customer: Customer, account: VendorAccount,
             **base) -> None:
    """The customer's receipt (issue 15): what was paid, the terms, the next charge, the signed
    order link, how to get help (a ticket) and the vendor's contact (R4 fallback)."""
    from cbportal.settings import get_settings

    s = get_settings()
    view = purchase.summary(session, order, base_url=s.base_url, secret=s.secret)
    mail.queue(session, now=now, kind="receipt", to=customer.email, subject=f"Your receipt {order.receipt}",
               template="receipt", why=f"Thank you for your purchase from {account.nickname}.", s=view, **base)


def _sale_notice(session: Session, *, now: datetime, order: Order, customer: Customer, account: VendorAccount,
                 product: Product, amount: str, **base) -> None:
    """The vendor's sale notice, with links to the order window and to "create ticket"."""
    from cbportal.settings import get_settings

    url = get_settings().base_url
    sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
    mail.queue(session, now=now, kind="sale_notice", to=account.account_email, subject=f"New sale {order.receipt}",
               template="sale_notice", why=f"You made a sale of {amount}.", receipt=order.receipt,
               title=product.title, sku=product.sku, customer=f"{customer.name} <{customer.email}>",
               terms=purchase.terms_words(sub, order.currency, for_customer=False),
               order_link=f"{url}{routes.VENDOR_ORDERS}?{urlencode({'receipt': order.receipt})}",
               ticket_link=f"{url}{routes.VENDOR_TICKETS}?{urlencode({'receipt': order.receipt})}", **base)


def send(session: Session, *, now: datetime, kind: str, order: Order, amount_cents: int | None = None,
         date=None, extra: str = "") -> None:
    customer, account, product = _parties(session, order)
    amount = format_cents(amount_cents or 0, order.currency)
    base = {"account_id": account.id, "order_id": order.id}
    lines = [f"Order {order.receipt}: {product.title} ({product.sku}) from {account.nickname}."]
    if kind == "receipt":
        _receipt(session, now=now, order=order, customer=customer, account=account, **base)
    elif kind == "sale_notice":
        _sale_notice(session, now=now, order=order, customer=customer, account=account, product=product,
                     amount=amount, **base)
    elif kind == "rebill_reminder":
        mail.queue(session, now=now, kind=kind, to=customer.email, subject=f"Upcoming payment for {product.title}",
                   why=f"Your next payment of {amount} is on {date}.", lines=lines, **base)
    elif kind == "rebill_notice":
        mail.queue(session, now=now, kind=kind, to=customer.email, subject=f"Payment received for {product.title}",
                   why=f"We charged {amount} for your subscription.", lines=lines + ([extra] if extra else []), **base)
    elif kind == "payment_failed":
        mail.queue(session, now=now, kind=kind, to=customer.email, subject=f"Payment failed for {product.title}",
                   why="We were unable to charge your payment method for your subscription.",
                   lines=lines + [extra], link=_card_link(order, customer), link_text="Update your card", **base)
    elif kind == "card_invalid":
        why = "The card on file for your subscription is no longer valid. Please give us a new card."
        for to in (customer.email, account.account_email):
            mail.queue(session, now=now, kind=kind, to=to, subject=f"Please update your card for {product.title}",
                       why=why, lines=lines + [extra],
                       link=_card_link(order, customer) if to == customer.email else None,
                       link_text="Update your card", **base)
    elif kind == "subscription_canceled":
        for to in (customer.email, account.ticket_email):
            mail.queue(session, now=now, kind=kind, to=to, subject=f"Subscription canceled: order {order.receipt}",
                       why=f"The subscription of order {order.receipt} was canceled; no further bills will be charged.",
                       lines=lines + ([extra] if extra else []), **base)
    else:
        raise ValueError(f"unknown billing email {kind}")
