"""Checkout and the customer's card update (RULES R1, R5, R6, R9).

`checkout` validates the order form, saves the payment method at the gateway, records
the order and its initial bill, charges it exactly once, then writes the receipt, the
sale notice and the SALE event and starts the subscription. `update_card` replaces an
order's payment method and, for a subscription in dunning, charges the failed bill at
once; on success later rebills follow from that date.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from cbportal.models import (
    Bill, BillKind, BillStatus, Customer, Order, OrderStatus, PaymentMethod, PaymentType, Product, ProductKind,
    ProductStatus, Subscription, SubscriptionStatus, VendorAccount,
)
from cbportal.services import audit, billing, billing_mail, calendar, ins
from cbportal.services.accounts import valid_email
from cbportal.services.errors import Conflict, Invalid, NotFound
from cbportal.services.gateways import Gateway, Outcome, PaymentInput
from cbportal.services.orders import customer_lookup

RECEIPT_ALPHABET = string.ascii_uppercase + string.digits
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")


@dataclass(frozen=True)
class CustomerInput:
    email: str
    name: str
    country: str


def new_receipt(session: Session) -> str:
    while True:
        receipt = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
        if not session.exec(select(Order.id).where(Order.receipt == receipt)).first():
            return receipt


def validate_payment(payment: PaymentInput) -> None:
    if payment.type not in {t.value for t in PaymentType}:
        raise Invalid("payment type is card, paypal or elv", "invalid_payment_type")
    if payment.type == "card":
        number = (payment.card_number or "").replace(" ", "")
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise Invalid("the card number is 12-19 digits", "invalid_card_number")
        if not (payment.exp_month and 1 <= payment.exp_month <= 12 and payment.exp_year and payment.exp_year >= 2000):
            raise Invalid("the card needs an expiry month (1-12) and year", "invalid_card_expiry")


def validate_address(address: dict | None, ship_to: list[str]) -> dict:
    if not address:
        raise Invalid("a physical product needs a shipping address", "shipping_address_required")
    clean = {k: str(address.get(k) or "").strip() for k in ADDRESS_FIELDS}
    for field in ("name", "line1", "city", "postal_code", "country"):
        if not clean[field]:
            raise Invalid(f"the shipping address needs {field.replace('_', ' ')}", "invalid_address")
    clean["country"] = clean["country"].upper()
    if clean["country"] not in ship_to:
        raise Invalid(f"this product does not ship to {clean['country']}", "does_not_ship_there")
    return clean


def checkout(engine: Engine, *, now: datetime, gateway: Gateway, sku: str, customer: CustomerInput,
             payment: PaymentInput, affiliate: str | None = None, shipping_address: dict | None = None) -> str:
    """Place and pay an order; returns its receipt. A declined payment raises, after recording it."""
    email = valid_email(customer.email, "customer email")
    if not email or not customer.name.strip():
        raise Invalid("the customer needs an email and a name", "invalid_customer")
    if not re.match(r"^[A-Za-z]{2}$", customer.country or ""):
        raise Invalid("country is a two-letter code such as US", "invalid_country")
    if affiliate is not None and not re.match(r"^[A-Za-z0-9_-]{1,40}$", affiliate):
        raise Invalid("affiliate is 1-40 letters, digits, '-' or '_'", "invalid_affiliate")
    validate_payment(payment)
    with Session(engine) as session:
        product = session.exec(select(Product).where(Product.sku == sku)).first()
        if not product or product.status != ProductStatus.APPROVED:
            raise NotFound(f"no product {sku!r} for sale", "product_not_found")
        address = validate_address(shipping_address, product.ship_to) if product.kind == ProductKind.PHYSICAL else None
    saved = gateway.save_method(PaymentInput(**{**payment.__dict__, "email": email, "name": customer.name}))
    if saved.outcome == Outcome.INVALID_CARD:
        raise Invalid("the card was refused: check the number and expiry, or use another card", "card_refused")
    with Session(engine) as session:
        product = session.exec(select(Product).where(Product.sku == sku)).one()
        account = session.get(VendorAccount, product.account_id)
        buyer = Customer(email=email, name=customer.name.strip(), country=customer.country.upper(), created_at=now)
        session.add(buyer)
        session.flush()
        method = PaymentMethod(customer_id=buyer.id, type=payment.type, gateway=gateway.name,
                               gateway_customer_ref=saved.customer_ref, gateway_method_ref=saved.method_ref,
                               last4=saved.last4, exp_month=saved.exp_month, exp_year=saved.exp_year, created_at=now)
        session.add(method)
        session.flush()
        order = Order(receipt=new_receipt(session), account_id=account.id, product_id=product.id, customer_id=buyer.id,
                      payment_method_id=method.id, affiliate=affiliate, currency=product.currency,
                      shipping_address=address, created_at=now)
        session.add(order)
        session.flush()
        receipt, attempt_id = order.receipt, None
        if product.initial_price_cents > 0:
            bill = Bill(order_id=order.id, seq=1, kind=BillKind.INITIAL, scheduled_date=calendar.local(
                now, account.time_zone).date(), amount_cents=product.initial_price_cents, status=BillStatus.PENDING)
            session.add(bill)
            session.flush()
            attempt_id = billing.begin_charge(session, now=now, bill=bill, order=order).id
        else:
            _after_sale(session, order=order, product=product, account=account, now=now, amount=0)
        session.commit()
    if attempt_id is None:
        return receipt
    result = billing.call_gateway(engine, attempt_id, gateway)
    with Session(engine) as session:
        outcome = billing.record_charge(session, attempt_id=attempt_id, result=result, at=now)
        order = session.exec(select(Order).where(Order.receipt == receipt)).one()
        if outcome == "paid":
            product = session.get(Product, order.product_id)
            _after_sale(session, order=order, product=product, account=session.get(VendorAccount, order.account_id),
                        now=now, amount=product.initial_price_cents)
        else:
            order.status = OrderStatus.FAILED
            session.add(order)
        session.commit()
    if outcome != "paid":
        raise Conflict("the payment was declined; no order was placed", "payment_declined")
    return receipt


def _after_sale(session: Session, *, order: Order, product: Product, account: VendorAccount, now: datetime,
                amount: int) -> None:
    extra = ""
    if product.recurring:
        sub = billing.start_subscription(session, now=now, order=order, product=product, account=account,
                                         purchase_day=calendar.local(now, account.time_zone).date())
        count = "until you cancel" if sub.rebills_total is None else f"{sub.rebills_total} more payments"
        extra = (f"Then {calendar.frequency_label(str(sub.frequency_unit), sub.frequency_count)} payments of "
                 f"{sub.rebill_price_cents / 100:.2f} {order.currency}, {count}; the first on {sub.next_bill_date}.")
    billing_mail.send(session, now=now, kind="receipt", order=order, amount_cents=amount, extra=extra)
    billing_mail.send(session, now=now, kind="sale_notice", order=order, amount_cents=amount)
    ins.emit(session, now=now, account=account, event="SALE",
             payload={"receipt": order.receipt, "sku": product.sku, "amount_cents": amount, "affiliate": order.affiliate})
    audit.record(session, now=now, actor="customer", action="order.create", entity="order", entity_id=order.id,
                 account_id=account.id, receipt=order.receipt)


def update_card(engine: Engine, *, now: datetime, gateway: Gateway, receipt: str, email: str,
                payment: PaymentInput) -> str:
    """Replace the order's payment method; a subscription in dunning is charged at once (R6).
    Returns 'saved' or 'charged'; a declined charge raises after recording it."""
    validate_payment(payment)
    with Session(engine) as session:
        order = customer_lookup(session, receipt=receipt, email=email)
        customer = session.get(Customer, order.customer_id)
    saved = gateway.save_method(PaymentInput(**{**payment.__dict__, "email": customer.email, "name": customer.name}))
    if saved.outcome == Outcome.INVALID_CARD:
        raise Invalid("the card was refused: check the number and expiry, or use another card", "card_refused")
    with Session(engine) as session:
        order = customer_lookup(session, receipt=receipt, email=email)
        old = session.get(PaymentMethod, order.payment_method_id)
        old.replaced_at = now
        method = PaymentMethod(customer_id=order.customer_id, type=payment.type, gateway=gateway.name,
                               gateway_customer_ref=saved.customer_ref, gateway_method_ref=saved.method_ref,
                               last4=saved.last4, exp_month=saved.exp_month, exp_year=saved.exp_year, created_at=now)
        session.add_all([old, method])
        session.flush()
        order.payment_method_id = method.id
        session.add(order)
        sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
        attempt_id = None
        if sub is not None and sub.status == SubscriptionStatus.DUNNING:
            bill = session.exec(select(Bill).where(Bill.order_id == order.id, Bill.status == BillStatus.FAILED)
                                .order_by(Bill.seq.desc())).first()
            if bill is not None:
                attempt_id = billing.begin_charge(session, now=now, bill=bill, order=order).id
        session.commit()
    if attempt_id is None:
        return "saved"
    result = billing.call_gateway(engine, attempt_id, gateway)
    with Session(engine) as session:
        outcome = billing.record_charge(session, attempt_id=attempt_id, result=result, at=now)
        if outcome == "paid":
            order = session.exec(select(Order).where(Order.receipt == receipt.strip().upper())).one()
            sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).one()
            from cbportal.models import PaymentAttempt

            bill = session.get(Bill, session.get(PaymentAttempt, attempt_id).bill_id)
            billing.after_rebill(session, sub=sub, bill=bill, outcome=outcome, at=now)
        session.commit()
    if outcome != "paid":
        raise Conflict("the new card was declined too; please try another", "payment_declined")
    return "charged"


def terms_summary(session: Session, *, sku: str, now: datetime) -> dict:
    """What a buyer is told before paying: today's price and the recurring terms in plain words."""
    from cbportal.services.money import format_cents

    product = session.exec(select(Product).where(Product.sku == sku)).first()
    if not product or product.status != ProductStatus.APPROVED:
        raise NotFound(f"no product {sku!r} for sale", "product_not_found")
    account = session.get(VendorAccount, product.account_id)
    today = calendar.local(now, account.time_zone).date()
    terms = ""
    if product.recurring:
        first = (today + timedelta(days=product.trial_days) if product.trial_days
                 else calendar.next_bill_date(today, str(product.frequency_unit), product.frequency_count))
        count = "until you cancel" if product.rebills is None else f"{product.rebills} payments"
        terms = (f"Then {format_cents(product.rebill_price_cents, product.currency)} "
                 f"{calendar.frequency_label(str(product.frequency_unit), product.frequency_count)}, {count}, "
                 f"the first on {first.isoformat()}. You can cancel at any time.")
    today_text = ("Free today" + (f" ({product.trial_days}-day trial)" if product.trial_days else "")
                  if product.initial_price_cents == 0 else f"{format_cents(product.initial_price_cents, product.currency)} today")
    return {"sku": product.sku, "title": product.title, "description": product.description, "vendor": account.nickname,
            "today": today_text, "terms": terms, "physical": product.kind == ProductKind.PHYSICAL,
            "ship_to": ", ".join(product.ship_to or [])}
