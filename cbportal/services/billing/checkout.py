"""Checkout and the customer's card update (RULES R1, R5, R6, R9).

`checkout` validates the order form, saves the payment method at the gateway, records
the order and its initial bill, charges it exactly once, then writes the receipt, the
sale notice and the SALE event and starts the subscription. `update_card` replaces an
order's payment method and, for a subscription in dunning, charges the failed bill at
once; on success later rebills follow from that date.

Payment details reach these functions as a token from the gateway's browser-side
tokenizer (`PaymentInput.payment_method`); raw card fields only where the gateway
accepts them (the sandbox). `payment_setup` hands the page the client secret Stripe.js
(or the sandbox stand-in) confirms. A charge the gateway reports as still processing
(a SEPA debit) leaves the bill `pending`: nothing says "paid" before the money is in;
`finish_initial_charge` completes the sale once the payment is looked up again.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from cbportal.models import (
    AttemptOutcome,
    Bill,
    BillKind,
    BillStatus,
    Customer,
    Order,
    OrderStatus,
    PaymentAttempt,
    PaymentMethod,
    PaymentType,
    Product,
    ProductKind,
    ProductStatus,
    Subscription,
    SubscriptionStatus,
    VendorAccount,
)
from cbportal.services.accounts.accounts import valid_email
from cbportal.services.billing import charges as billing
from cbportal.services.billing import mail as billing_mail
from cbportal.services.billing.gateways import Gateway, Outcome, PaymentInput, offered_types
from cbportal.services.billing.orders import customer_lookup
from cbportal.services.core import audit, calendar, input_policy
from cbportal.services.core.errors import Conflict, Invalid, NotFound
from cbportal.services.delivery import ins

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


UNAVAILABLE = {
    "paypal": "PayPal is not available with this payment provider; please pay by card",
    "elv": "direct debit (ELV) is available only to customers in Germany, Austria and the Netherlands",
}


def validate_payment(payment: PaymentInput, gateway: Gateway, country: str | None) -> None:
    """The payment type is one this gateway really collects for this country; card data
    only reaches the server where the gateway accepts it (the sandbox), else a token."""
    if payment.type not in {t.value for t in PaymentType}:
        raise Invalid("payment type is card, paypal or elv", "invalid_payment_type")
    if payment.type not in offered_types(gateway, country):
        message = UNAVAILABLE.get(payment.type, f"{payment.type} is not available")
        if payment.type == "elv" and "elv" not in gateway.payment_types:
            message = "direct debit is not available with this payment provider"
        raise Invalid(message, "payment_type_unavailable")
    raw = payment.card_number or payment.cvc or payment.exp_month or payment.exp_year
    if raw and not gateway.accepts_card_data:
        raise Invalid("card details are collected by the payment provider in the browser; send the payment "
                      "method it returned instead", "card_data_not_accepted")
    if raw and payment.payment_method:
        raise Invalid("send either a payment method or card details, not both", "invalid_payment")
    if payment.type in ("card", "elv") and not payment.payment_method:
        if not gateway.accepts_card_data:
            raise Invalid("a payment method from the payment provider's browser script is needed",
                          "payment_method_required")
        if payment.type == "card":
            number = (payment.card_number or "").replace(" ", "")
            if not number.isdigit() or not 12 <= len(number) <= 19:
                raise Invalid("the card number is 12-19 digits", "invalid_card_number")
            if not (payment.exp_month and 1 <= payment.exp_month <= 12 and payment.exp_year
                    and payment.exp_year >= 2000):
                raise Invalid("the card needs an expiry month (1-12) and year", "invalid_card_expiry")


def payment_setup(gateway: Gateway, *, type: str, country: str | None) -> str:
    """The client secret the page's Stripe.js (or the sandbox stand-in) confirms the new
    card or IBAN with, so the details go from the browser to the gateway only."""
    validate_payment(PaymentInput(type=type, payment_method="(to come)"), gateway, country)
    return gateway.setup(type)


def _debit_in_euros(payment: PaymentInput, currency: str) -> None:
    if payment.type == "elv" and currency.upper() != "EUR":
        raise Invalid("direct debit (ELV) is for prices in euros; please pay by card", "payment_type_unavailable")


def _keep_pending(engine: Engine, attempt_id: int, ref: str | None) -> None:
    """A payment still processing: the attempt stays pending, now with the gateway's id."""
    with Session(engine) as session:
        session.execute(update(PaymentAttempt).where(
            PaymentAttempt.id == attempt_id, PaymentAttempt.outcome == AttemptOutcome.PENDING).values(
            gateway_ref=ref).execution_options(synchronize_session=False))
        session.commit()


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


def validate_customer(customer: CustomerInput, affiliate: str | None = None) -> str:
    """The order form's customer fields (checked before the browser confirms a card); the email."""
    email = valid_email(input_policy.line(customer.email, "customer email", 254), "customer email")
    input_policy.line(customer.name, "customer name", 200, 1)
    input_policy.line(customer.country, "country", 2)
    if not email or not customer.name.strip():
        raise Invalid("the customer needs an email and a name", "invalid_customer")
    if not re.match(r"^[A-Za-z]{2}$", customer.country or ""):
        raise Invalid("country is a two-letter code such as US", "invalid_country")
    if affiliate is not None and not re.match(r"^[A-Za-z0-9_-]{1,40}$", affiliate):
        raise Invalid("affiliate is 1-40 letters, digits, '-' or '_'", "invalid_affiliate")
    return email


def _zone(name: str | None) -> str | None:
    """A real IANA zone name, else None (the vendor's zone is used then)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return str(ZoneInfo(name)) if name and len(name) <= 64 else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def customer_problems(customer: CustomerInput) -> dict[str, str]:
    """What is wrong with the order form's customer fields, per field, in sentences for the
    buyer (the page shows each next to its field); empty when they are fine."""
    from cbportal.services.core import countries

    problems: dict[str, str] = {}
    email = (customer.email or "").strip()
    if not email:
        problems["email"] = "Enter your email address: your receipt and order link go there."
    else:
        try:
            valid_email(input_policy.line(email, "email", 254), "email")
        except Invalid:
            problems["email"] = "This does not look like an email address. Check it for typing errors."
    name = (customer.name or "").strip()
    if not name:
        problems["name"] = "Enter your name as it should appear on the receipt."
    else:
        try:
            input_policy.line(name, "name", 200, 1)
        except Invalid:
            problems["name"] = "Your name must fit on one line and be at most 200 characters."
    if not countries.is_country(customer.country or ""):
        problems["country"] = "Choose the country you live in."
    return problems


def checkout(engine: Engine, *, now: datetime, gateway: Gateway, sku: str, customer: CustomerInput,
             payment: PaymentInput, affiliate: str | None = None, shipping_address: dict | None = None,
             time_zone: str | None = None) -> str:
    """Place and pay an order; returns its receipt. A declined payment raises, after recording it.
    `time_zone` is the buyer's (their browser's) IANA zone: their ticket emails give times in it."""
    email = validate_customer(customer, affiliate)
    validate_payment(payment, gateway, customer.country)
    with Session(engine) as session:
        product = session.exec(select(Product).where(Product.sku == sku)).first()
        if not product or product.status != ProductStatus.APPROVED:
            raise NotFound(f"no product {sku!r} for sale", "product_not_found")
        address = validate_address(shipping_address, product.ship_to) if product.kind == ProductKind.PHYSICAL else None
        _debit_in_euros(payment, product.currency)
    saved = gateway.save_method(PaymentInput(**{**payment.__dict__, "email": email, "name": customer.name}))
    if saved.outcome == Outcome.INVALID_CARD:
        raise Invalid("the card was refused: check the number and expiry, or use another card", "card_refused")
    with Session(engine) as session:
        product = session.exec(select(Product).where(Product.sku == sku)).one()
        account = session.get(VendorAccount, product.account_id)
        buyer = Customer(email=email, name=customer.name.strip(), country=customer.country.upper(), created_at=now,
                         time_zone=_zone(time_zone))
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
    outcome = finish_initial_charge(engine, attempt_id=attempt_id,
                                    result=billing.charge_at_once(engine, attempt_id, gateway), at=now)
    if outcome not in ("paid", "pending"):
        raise Conflict("the payment was declined; no order was placed", "payment_declined")
    return receipt


def finish_initial_charge(engine: Engine, *, attempt_id: int, result, at: datetime) -> str:
    """Record the answer to an order's first charge and what follows: the sale on success,
    a failed order on a decline. A payment still processing (a SEPA debit) stays pending
    with the gateway's id, to be looked up again (`gateway.find`) and finished here."""
    if result.outcome == Outcome.PENDING:
        _keep_pending(engine, attempt_id, result.ref)
        return "pending"
    with Session(engine) as session:
        outcome = billing.record_charge(session, attempt_id=attempt_id, result=result, at=at)
        if outcome is None:
            return "done"  # recorded already by whoever looked it up first
        bill = session.get(Bill, session.get(PaymentAttempt, attempt_id).bill_id)
        order = session.get(Order, bill.order_id)
        if outcome == "paid":
            product = session.get(Product, order.product_id)
            _after_sale(session, order=order, product=product, account=session.get(VendorAccount, order.account_id),
                        now=at, amount=product.initial_price_cents)
        else:
            order.status = OrderStatus.FAILED
            session.add(order)
        session.commit()
    return outcome


def _after_sale(session: Session, *, order: Order, product: Product, account: VendorAccount, now: datetime,
                amount: int) -> None:
    if product.recurring:
        billing.start_subscription(session, now=now, order=order, product=product, account=account,
                                   purchase_day=calendar.local(now, account.time_zone).date())
    billing_mail.send(session, now=now, kind="receipt", order=order, amount_cents=amount)
    billing_mail.send(session, now=now, kind="sale_notice", order=order, amount_cents=amount)
    ins.emit(session, now=now, account=account, event="SALE",
             payload={"receipt": order.receipt, "sku": product.sku, "amount_cents": amount,
                      "affiliate": order.affiliate})
    audit.record(session, now=now, actor="customer", action="order.create", entity="order", entity_id=order.id,
                 account_id=account.id, receipt=order.receipt)


def update_card(engine: Engine, *, now: datetime, gateway: Gateway, receipt: str, email: str,
                payment: PaymentInput) -> str:
    """Replace the order's payment method; a subscription in dunning is charged at once (R6).
    Returns 'saved', 'charged' or 'pending' (a debit still processing); a declined charge
    raises after recording it."""
    with Session(engine) as session:
        order = customer_lookup(session, receipt=receipt, email=email)
        customer = session.get(Customer, order.customer_id)
    validate_payment(payment, gateway, customer.country)
    _debit_in_euros(payment, order.currency)
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
    result = billing.charge_at_once(engine, attempt_id, gateway)
    if result.outcome == Outcome.PENDING:
        _keep_pending(engine, attempt_id, result.ref)
        return "pending"
    with Session(engine) as session:
        outcome = billing.record_charge(session, attempt_id=attempt_id, result=result, at=now)
        if outcome == "paid":
            order = session.exec(select(Order).where(Order.receipt == receipt.strip().upper())).one()
            sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).one()
            bill = session.get(Bill, session.get(PaymentAttempt, attempt_id).bill_id)
            billing.after_rebill(session, sub=sub, bill=bill, outcome=outcome, at=now)
        session.commit()
    if outcome != "paid":
        raise Conflict("the new card was declined too; please try another", "payment_declined")
    return "charged"


def terms_summary(session: Session, *, sku: str, now: datetime) -> dict:
    """What a buyer is told before paying: today's price and the recurring terms in plain words."""
    from cbportal.services.billing import purchase
    from cbportal.services.core.money import format_cents

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
                 f"the first on {purchase.day_words(first)}. You can cancel at any time.")
    today_text = ("Free today" + (f" ({product.trial_days}-day trial)" if product.trial_days else "")
                  if product.initial_price_cents == 0
                  else f"{format_cents(product.initial_price_cents, product.currency)} today")
    return {"sku": product.sku, "title": product.title, "description": product.description, "vendor": account.nickname,
            "today": today_text, "terms": terms, "physical": product.kind == ProductKind.PHYSICAL,
            "ship_to": ", ".join(product.ship_to or []), "currency": product.currency}
