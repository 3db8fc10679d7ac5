"""Order bump and one-click upsell (issue 17 point 2; the recurring-products article lets
recurring products be sold both ways): the vendor sets, per product, one bump product
offered beside its checkout and up to three upsell products offered after its payment.

Every item becomes an order of its own (bills, subscription, receipt, tickets, refund and
cancel per item, R1 commission per item with the same affiliate), charged on the payment
method the customer gave at checkout, each charge with its own idempotency key (R6). The
buyer gives the payment details once: the bump is taken in the same checkout, an upsell
with one click afterwards. A recurring item is added only after the buyer confirmed they
understand its recurring terms (`understood`), which are shown beside it (`terms`); an
upsell is open for `UPSELL_WINDOW` after the purchase it follows."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, select

from cbportal.models import (
    Bill,
    BillKind,
    BillStatus,
    CheckoutOffer,
    Order,
    Product,
    ProductKind,
    ProductStatus,
    Role,
    VendorAccount,
)
from cbportal.services.accounts.accounts import visible_account
from cbportal.services.accounts.auth import Actor
from cbportal.services.billing import charges as billing
from cbportal.services.billing import checkout, orders
from cbportal.services.core import audit, calendar
from cbportal.services.core.errors import Conflict, Invalid, NotFound

MAX_UPSELLS = 3
UPSELL_WINDOW = timedelta(hours=1)
KINDS = ("bump", "upsell")


def _product(session: Session, sku: str) -> Product:
    product = session.exec(select(Product).where(Product.sku == sku)).first()
    if product is None:
        raise NotFound(f"no product {sku!r}", "product_not_found")
    return product


def set_offers(session: Session, *, now: datetime, actor: Actor, sku: str, bump_sku: str | None = None,
               upsell_skus: list[str] | None = None) -> dict:
    """Replace a product's bump and upsells (Manage Products on its account). Offered
    products belong to the same account, sell in the same currency and are not the product."""
    product = _product(session, sku)
    account = session.get(VendorAccount, product.account_id)
    visible_account(session, actor, account.nickname)
    if not actor.is_staff:
        actor.require(Role.MANAGE_PRODUCTS)
    upsell_skus = list(dict.fromkeys(upsell_skus or []))
    if len(upsell_skus) > MAX_UPSELLS:
        raise Invalid(f"at most {MAX_UPSELLS} upsell offers per product", "too_many_upsells")
    wanted = [("bump", bump_sku, 0)] if bump_sku else []
    wanted += [("upsell", s, i) for i, s in enumerate(upsell_skus)]
    rows = []
    for kind, offer_sku, position in wanted:
        offer = session.exec(select(Product).where(Product.sku == offer_sku)).first()
        if offer is None or offer.account_id != product.account_id:
            raise Invalid(f"{offer_sku} is not a product of {account.nickname}", "offer_not_in_account")
        if offer.id == product.id:
            raise Invalid("a product can't be offered on its own checkout", "offer_is_product")
        if offer.currency != product.currency:
            raise Invalid(f"{offer_sku} sells in {offer.currency}, not {product.currency}", "offer_currency")
        rows.append(CheckoutOffer(product_id=product.id, offer_product_id=offer.id, kind=kind, position=position,
                                  created_at=now))
    session.execute(delete(CheckoutOffer).where(CheckoutOffer.product_id == product.id))
    for row in rows:
        session.add(row)
    audit.record(session, now=now, actor=actor, action="product.offers", entity="product", entity_id=product.id,
                 account_id=product.account_id, bump=bump_sku, upsells=upsell_skus)
    session.flush()
    return offers_for(session, sku=sku, now=now)


def offers_for(session: Session, *, sku: str, now: datetime) -> dict:
    """The bump and upsells of a product that are for sale now, each with the words a buyer
    reads beside it (`checkout.terms_summary`: today's price and the recurring terms)."""
    product = _product(session, sku)
    rows = session.exec(select(CheckoutOffer, Product).join(Product, Product.id == CheckoutOffer.offer_product_id)
                        .where(CheckoutOffer.product_id == product.id, Product.status == ProductStatus.APPROVED)
                        .order_by(CheckoutOffer.kind, CheckoutOffer.position)).all()
    out = {"sku": sku, "bump": None, "upsells": []}
    for offer, offered in rows:
        terms = {**checkout.terms_summary(session, sku=offered.sku, now=now), "recurring": offered.recurring}
        if offer.kind == "bump":
            out["bump"] = terms
        else:
            out["upsells"].append(terms)
    return out


def _offered(session: Session, base: Order, sku: str, kind: str) -> Product:
    offered = session.exec(select(Product).join(CheckoutOffer, CheckoutOffer.offer_product_id == Product.id)
                           .where(CheckoutOffer.product_id == base.product_id, CheckoutOffer.kind == kind,
                                  Product.sku == sku, Product.status == ProductStatus.APPROVED)).first()
    if offered is None:
        raise NotFound(f"{sku} is not offered with this order", "offer_not_found")
    return offered


def add_item(engine: Engine, *, now: datetime, gateway, receipt: str, email: str, sku: str, kind: str,
             understood: bool) -> str:
    """Buy an offered item (bump or upsell of order `receipt`, shown to its customer `email`)
    on the order's payment method: a new order of its own; returns its receipt."""
    if kind not in KINDS:
        raise Invalid("kind is bump or upsell", "invalid_kind")
    with Session(engine) as session:
        base = orders.customer_lookup(session, receipt=receipt, email=email)
        offered = _offered(session, base, sku, kind)
        if offered.recurring and not understood:
            raise Invalid("please confirm that you understand the recurring terms of this offer",
                          "recurring_terms_not_confirmed")
        if kind == "upsell" and now - base.created_at > UPSELL_WINDOW:
            raise Conflict("this offer was open for an hour after your purchase and has ended", "offer_expired")
        first = session.exec(select(Bill).where(Bill.order_id == base.id, Bill.seq == 1)).first()
        if first is not None and first.status != BillStatus.PAID:
            raise Conflict("the payment of your order has not gone through, so nothing can be added to it",
                           "order_not_paid")
        taken = session.exec(select(Order.receipt).where(Order.customer_id == base.customer_id,
                                                         Order.product_id == offered.id,
                                                         Order.payment_method_id == base.payment_method_id)).first()
        if taken:
            raise Conflict(f"you already bought {offered.title} (order {taken})", "offer_taken")
        account = session.get(VendorAccount, offered.account_id)
        address = None
        if offered.kind == ProductKind.PHYSICAL:
            if not base.shipping_address:
                raise Invalid(f"{offered.title} is shipped: buy it from its own checkout with your address",
                              "shipping_address_required")
            address = checkout.validate_address(base.shipping_address, offered.ship_to)
        order = Order(receipt=checkout.new_receipt(session), account_id=account.id, product_id=offered.id,
                      customer_id=base.customer_id, payment_method_id=base.payment_method_id,
                      affiliate=base.affiliate, currency=offered.currency, shipping_address=address, created_at=now)
        session.add(order)
        session.flush()
        new_receipt, attempt_id = order.receipt, None
        if offered.initial_price_cents > 0:
            bill = Bill(order_id=order.id, seq=1, kind=BillKind.INITIAL,
                        scheduled_date=calendar.local(now, account.time_zone).date(),
                        amount_cents=offered.initial_price_cents, status=BillStatus.PENDING)
            session.add(bill)
            session.flush()
            attempt_id = billing.begin_charge(session, now=now, bill=bill, order=order).id
        audit.record(session, now=now, actor="customer", action=f"order.{kind}", entity="order", entity_id=order.id,
                     account_id=account.id, receipt=new_receipt, after=base.receipt)
        session.commit()
        order_id = order.id
    if attempt_id is None:   # a free item (trial): the sale follows at once
        with Session(engine) as session:
            order = session.get(Order, order_id)
            product = session.get(Product, order.product_id)
            _free_sale(session, order, product, now)
            session.commit()
        return new_receipt
    outcome = checkout.finish_initial_charge(engine, attempt_id=attempt_id,
                                             result=billing.charge_at_once(engine, attempt_id, gateway), at=now)
    if outcome not in ("paid", "pending"):
        raise Conflict("the payment for this item was declined; it was not added", "payment_declined")
    return new_receipt


def _free_sale(session: Session, order: Order, product: Product, now: datetime) -> None:
    # checkout's own after-sale step (subscription, receipt, sale notice, SALE INS, audit).
    checkout._after_sale(session, order=order, product=product, account=session.get(VendorAccount, order.account_id),
                         now=now, amount=0)


def checkout_with_bump(engine: Engine, *, now: datetime, gateway, sku: str, customer, payment, bump: bool = False,
                       understood: bool = False, affiliate: str | None = None,
                       shipping_address: dict | None = None, time_zone: str | None = None) -> list[str]:
    """The checkout with its order bump ticked or not: the product's order, then the bump's,
    both on the payment details given once. Returns the receipts, the product's first."""
    if bump:
        with Session(engine) as session:
            bump_terms = offers_for(session, sku=sku, now=now)["bump"]
        if bump_terms is None:
            raise NotFound("this product has no order bump", "offer_not_found")
        if bump_terms["recurring"] and not understood:
            raise Invalid("please confirm that you understand the recurring terms of the added item",
                          "recurring_terms_not_confirmed")
    receipt = checkout.checkout(engine, now=now, gateway=gateway, sku=sku, customer=customer, payment=payment,
                                affiliate=affiliate, shipping_address=shipping_address, time_zone=time_zone)
    if not bump:
        return [receipt]
    return [receipt, add_item(engine, now=now, gateway=gateway, receipt=receipt, email=customer.email,
                              sku=bump_terms["sku"], kind="bump", understood=True)]
