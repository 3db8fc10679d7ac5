"""Subscription management by a clerk with the Subscription Management role (RULES R7).

Change product (with the R1 prorated refund), change bill date, extend, reinstate
and edit the shipping address. Each change is compare-and-set on the subscription's
status and bill date, so a clerk racing the rebill worker has one winner and the
loser gets `Conflict`; each writes the customer's confirmation email, an INS event
(R9) and an audit row in the same transaction. A prorated refund is recorded before
its gateway call and settled after the commit (R6), like every refund.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from cbportal.models import (
    Bill,
    BillKind,
    BillStatus,
    Customer,
    Order,
    Product,
    ProductKind,
    ProductStatus,
    Role,
    Subscription,
    SubscriptionStatus,
    VendorAccount,
)
from cbportal.services.accounts.auth import Actor
from cbportal.services.billing import charges as billing
from cbportal.services.billing import orders, refunds
from cbportal.services.billing.gateways import Gateway
from cbportal.services.core import audit, calendar, money
from cbportal.services.core.errors import Conflict, Invalid, NotFound, ServiceError
from cbportal.services.core.input_policy import bill_date
from cbportal.services.core.money import format_cents
from cbportal.services.delivery import ins, mail

REINSTATE_WINDOW = timedelta(days=60)
LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING)
NOT_REINSTATABLE_REASONS: tuple[str, ...] = ()  # R7: whatever canceled it (a refund too) may be reinstated


@dataclass(frozen=True)
class Managed:
    """The order, its subscription and its account, loaded for one change."""
    order: Order
    sub: Subscription
    account: VendorAccount
    product: Product


def load(session: Session, *, actor: Actor, receipt: str) -> Managed:
    """The subscription of an order of the actor's accounts; needs Subscription Management (R7, R8)."""
    order = orders.vendor_order(session, actor=actor, receipt=receipt, role=Role.SUBSCRIPTION_MANAGEMENT)
    sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
    if sub is None:
        raise NotFound(f"order {order.receipt} has no subscription", "no_subscription")
    return Managed(order, sub, session.get(VendorAccount, order.account_id), session.get(Product, order.product_id))


def local_today(account: VendorAccount, now: datetime) -> date:
    return calendar.local(now, account.time_zone).date()


def _cas(session: Session, sub: Subscription, *, statuses=LIVE, **values) -> None:
    """Apply `values` only if the subscription is still as we read it (status and bill date)."""
    done = session.execute(update(Subscription).where(
        Subscription.id == sub.id, Subscription.status.in_(list(statuses)),
        Subscription.next_charge_at.is_(None) if sub.next_charge_at is None
        else Subscription.next_charge_at == sub.next_charge_at).values(**values)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise Conflict("the subscription changed meanwhile (a rebill or another clerk); reload and try again",
                       "subscription_changed")
    session.expire(sub)


def _schedule_values(sub: Subscription, account: VendorAccount, next_date: date, now: datetime) -> dict:
    probe = Subscription(**{c: getattr(sub, c) for c in ("frequency_unit", "frequency_count")},
                         rebill_price_cents=sub.rebill_price_cents)
    billing.schedule_next(probe, account, next_date, now=now)
    return {"next_bill_date": probe.next_bill_date, "next_charge_at": probe.next_charge_at,
            "reminder_due_at": probe.reminder_due_at}


def _confirm(session: Session, m: Managed, *, now: datetime, actor: Actor, action: str, summary: list[str],
             event: str = "SUBSCRIPTION-CHANGE", **detail) -> None:
    """The confirmation email, INS event and audit row of one change (R7, R9)."""
    customer = session.get(Customer, m.order.customer_id)
    product = session.get(Product, m.order.product_id)
    mail.queue(session, now=now, kind="subscription_changed", to=customer.email, account_id=m.account.id,
               order_id=m.order.id, subject=f"Your subscription changed: order {m.order.receipt}",
               why=f"{m.account.nickname} changed your subscription to {product.title}.",
               lines=[f"Order {m.order.receipt}: {product.title} ({product.sku})."] + summary)
    ins.emit(session, now=now, account=m.account, event=event,
             payload={"receipt": m.order.receipt, "change": action, **detail})
    audit.record(session, now=now, actor=actor, action=f"subscription.{action}", entity="subscription",
                 entity_id=m.sub.id, account_id=m.account.id, receipt=m.order.receipt, **detail)


def _next_line(sub_date: date | None) -> str:
    return f"Next payment: {sub_date.isoformat()}." if sub_date else "No further payments are scheduled."


# --- change product ------------------------------------------------------------------------

def last_paid_rebill(session: Session, order: Order) -> Bill | None:
    return session.exec(select(Bill).where(Bill.order_id == order.id, Bill.kind == BillKind.REBILL,
                                           Bill.status.in_([BillStatus.PAID, BillStatus.REFUNDED]))
                        .order_by(Bill.seq.desc())).first()


def prorated_refund(session: Session, m: Managed, *, now: datetime) -> tuple[int, Bill | None]:
    """R1: round(last rebill x remaining days / period days); nothing from an initial payment."""
    bill = last_paid_rebill(session, m.order)
    if bill is None or m.sub.next_bill_date is None:
        return 0, None
    period = (m.sub.next_bill_date - bill.scheduled_date).days
    remaining = money.remaining_days(today=local_today(m.account, now), next_bill_date=m.sub.next_bill_date)
    if period <= 0:
        return 0, None
    cents = money.prorated_refund_cents(last_rebill_cents=bill.amount_cents, remaining_days=remaining,
                                        period_days=period)
    return min(cents, bill.amount_cents - bill.refunded_cents), bill


def _check_compatible(old: Product, new: Product) -> None:
    """R7: same account and currency, digital to digital or physical to physical, and the
    new product ships to every country the old one does."""
    if new.account_id != old.account_id:
        raise NotFound(f"no product {new.sku!r} in this account", "product_not_found")
    if new.id == old.id:
        raise Invalid("that is already the subscription's product", "same_product")
    if new.status != ProductStatus.APPROVED or not new.recurring:
        raise Invalid("the new product must be an approved recurring product", "product_not_recurring")
    if new.currency != old.currency:
        raise Invalid(f"the new product is in {new.currency}, the order in {old.currency}", "currency_mismatch")
    if new.kind != old.kind:
        raise Invalid(f"a {old.kind} product can only change to another {old.kind} product", "kind_mismatch")
    missing = sorted(set(old.ship_to or []) - set(new.ship_to or []))
    if missing:
        raise Invalid(f"the new product does not ship to {', '.join(missing)}", "ship_to_mismatch")


def _compatible(old: Product, new: Product) -> bool:
    try:
        _check_compatible(old, new)
    except ServiceError:
        return False
    return True


def _check_future(m: Managed, day: date, now: datetime) -> None:
    """A bill date in the future (in the vendor's zone) and within input_policy's horizon,
    for the pages as for the API."""
    today = local_today(m.account, now)
    if day <= today:
        raise Invalid("the bill date must be in the future (in the vendor's time zone)", "date_not_future")
    bill_date(day, today, "the bill date")


def _plan_change(session: Session, m: Managed, *, now: datetime, sku: str, prorated: bool,
                 next_bill_date: date | None) -> tuple[Product, int, Bill | None]:
    """Check a product change against R7 and work out its R1 refund: (new product, cents, bill)."""
    if m.sub.status not in LIVE:
        raise Conflict("only an active subscription can change product", "subscription_not_active")
    new = session.exec(select(Product).where(Product.sku == (sku or "").strip())).first()
    if new is None:
        raise NotFound(f"no product {sku!r} in this account", "product_not_found")
    _check_compatible(m.product, new)
    if not prorated and m.product.kind != ProductKind.PHYSICAL:
        raise Invalid("the prorated refund may be declined only for physical products", "refund_required")
    if next_bill_date is not None:
        if m.sub.status != SubscriptionStatus.ACTIVE:
            raise Conflict("a subscription in dunning keeps its retry dates", "subscription_not_active")
        _check_future(m, next_bill_date, now)
    cents, bill = prorated_refund(session, m, now=now) if prorated else (0, None)
    return new, cents, bill


def preview_change_product(session: Session, *, now: datetime, actor: Actor, receipt: str, sku: str,
                           prorated: bool = True, next_bill_date: date | None = None) -> dict:
    """What a product change would do, without doing it: the modal shows this before saving."""
    m = load(session, actor=actor, receipt=receipt)
    new, refund_cents, _ = _plan_change(session, m, now=now, sku=sku, prorated=prorated,
                                        next_bill_date=next_bill_date)
    return {"receipt": m.order.receipt, "from_sku": m.product.sku, "to_sku": new.sku, "to_title": new.title,
            "rebill_price_cents": new.rebill_price_cents, "currency": m.order.currency,
            "frequency": calendar.frequency_label(str(new.frequency_unit), new.frequency_count),
            "next_bill_date": (next_bill_date or m.sub.next_bill_date),
            "payments_remaining": m.sub.payments_remaining, "prorated_refund_cents": refund_cents,
            "refund_optional": m.product.kind == ProductKind.PHYSICAL}


def change_product(engine: Engine, *, now: datetime, gateway: Gateway, actor: Actor, receipt: str, sku: str,
                   prorated: bool = True, next_bill_date: date | None = None) -> int:
    """R7: new SKU, rebill price and frequency; remaining payments unchanged; trial skipped;
    prorated refund (R1) unless declined for a physical product. Returns the refund cents."""
    with Session(engine) as session:
        m = load(session, actor=actor, receipt=receipt)
        old_sku = m.product.sku
        new, refund_cents, bill = _plan_change(session, m, now=now, sku=sku, prorated=prorated,
                                               next_bill_date=next_bill_date)
        values = dict(rebill_price_cents=new.rebill_price_cents, commission_rebill_bp=new.commission_rebill_bp,
                      frequency_unit=new.frequency_unit, frequency_count=new.frequency_count, trial_days=None)
        if next_bill_date is not None:
            values |= _schedule_values(m.sub, m.account, next_bill_date, now)
        _cas(session, m.sub, **values)
        session.execute(update(Order).where(Order.id == m.order.id).values(product_id=new.id)
                        .execution_options(synchronize_session=False))
        session.expire(m.order)
        attempt_id = None
        if refund_cents > 0:
            attempt = refunds.begin(session, now=now, bill=bill, amount_cents=refund_cents,
                                    key=f"prorate:{m.order.receipt}:{bill.seq}:{new.sku}:{now.isoformat()}")
            attempt_id = attempt.id
        summary = [f"New product: {new.title} ({new.sku}), {format_cents(new.rebill_price_cents, new.currency)} "
                   f"{calendar.frequency_label(str(new.frequency_unit), new.frequency_count).lower()}.",
                   _next_line(m.sub.next_bill_date)]
        if refund_cents:
            summary.append(f"A prorated refund of {format_cents(refund_cents, m.order.currency)} for the unused part "
                           "of this period has been requested from the payment processor; your statement shows it "
                           "once they complete it.")
        _confirm(session, m, now=now, actor=actor, action="change_product", summary=summary,
                 from_sku=old_sku, to_sku=new.sku, prorated_refund_cents=refund_cents)
        session.commit()
    if attempt_id is not None:  # RFND and the order's status follow only when the gateway confirms (R3)
        refunds.settle(engine, attempt_ids=[attempt_id], gateway=gateway, now=now)
    return refund_cents


# --- bill date, extend, reinstate, shipping -------------------------------------------------

def change_bill_date(session: Session, *, now: datetime, actor: Actor, receipt: str, day: date) -> None:
    """R7: a future date; later bills follow from it."""
    m = load(session, actor=actor, receipt=receipt)
    if m.sub.status != SubscriptionStatus.ACTIVE:
        raise Conflict("only an active subscription (not in dunning) can move its bill date", "subscription_not_active")
    _check_future(m, day, now)
    _cas(session, m.sub, statuses=(SubscriptionStatus.ACTIVE,), **_schedule_values(m.sub, m.account, day, now))
    _confirm(session, m, now=now, actor=actor, action="change_bill_date", summary=[_next_line(day)],
             next_bill_date=day.isoformat())


def extend(session: Session, *, now: datetime, actor: Actor, receipt: str, periods: int) -> None:
    """R7: add N >= 1 billing periods, only to a subscription with a fixed count."""
    m = load(session, actor=actor, receipt=receipt)
    if not isinstance(periods, int) or periods < 1:
        raise Invalid("extend by at least one billing period", "invalid_periods")
    if m.sub.rebills_total is None:
        raise Invalid("this subscription runs until canceled; there is nothing to extend", "not_fixed_count")
    if m.sub.status not in LIVE:
        raise Conflict("only an active subscription can be extended", "subscription_not_active")
    _cas(session, m.sub, rebills_total=m.sub.rebills_total + periods,
         payments_remaining=(m.sub.payments_remaining or 0) + periods)
    _confirm(session, m, now=now, actor=actor, action="extend", periods=periods,
             summary=[f"{periods} more payment{'s' if periods > 1 else ''} added; "
                      f"{(m.sub.payments_remaining or 0)} remaining.", _next_line(m.sub.next_bill_date)])


def previously_scheduled(session: Session, m: Managed) -> date:
    """The payment a canceled subscription would have made next."""
    open_bill = session.exec(select(Bill).where(Bill.order_id == m.order.id, Bill.status.in_(
        [BillStatus.PENDING, BillStatus.FAILED])).order_by(Bill.seq.desc())).first()
    if open_bill is not None:
        return open_bill.scheduled_date
    last = session.exec(select(Bill).where(Bill.order_id == m.order.id).order_by(Bill.seq.desc())).first()
    if last.kind == BillKind.INITIAL and m.sub.trial_days:
        return last.scheduled_date + timedelta(days=m.sub.trial_days)
    return calendar.next_bill_date(last.scheduled_date, str(m.sub.frequency_unit), m.sub.frequency_count)


def reinstate_allowed(m: Managed, *, now: datetime) -> bool:
    """R7: canceled within the past 60 days, whatever canceled it (a refunded bill stays refunded)."""
    return (m.sub.status == SubscriptionStatus.CANCELED and m.sub.canceled_at is not None
            and now - m.sub.canceled_at <= REINSTATE_WINDOW
            and (m.sub.cancel_reason or "") not in NOT_REINSTATABLE_REASONS
            and m.sub.payments_remaining != 0)


def reinstate(session: Session, *, now: datetime, actor: Actor, receipt: str) -> date:
    """R7: resumed before its next previously scheduled payment, that date stands;
    otherwise the next payment is tomorrow and later ones follow from it."""
    m = load(session, actor=actor, receipt=receipt)
    if not reinstate_allowed(m, now=now):
        raise Conflict("only a subscription canceled within the past 60 days can be reinstated",
                       "not_reinstatable")
    scheduled = previously_scheduled(session, m)
    today = local_today(m.account, now)
    day = scheduled if scheduled > today else today + timedelta(days=1)
    _cas(session, m.sub, statuses=(SubscriptionStatus.CANCELED,), status=SubscriptionStatus.ACTIVE, canceled_at=None,
         cancel_reason=None, dunning_kind=None, dunning_failures=0, dunning_notices=0, dunning_next_date=None,
         **_schedule_values(m.sub, m.account, day, now))
    _confirm(session, m, now=now, actor=actor, action="reinstate", event="UNCANCEL-REBILL",
             summary=["Your subscription is active again.", _next_line(day)], next_bill_date=day.isoformat())
    return day


def change_shipping(session: Session, *, now: datetime, actor: Actor, receipt: str, address: dict) -> dict:
    """R7: a physical product's shipping address, checked against where it ships."""
    from cbportal.services.billing.checkout import validate_address

    order = orders.vendor_order(session, actor=actor, receipt=receipt, role=Role.SUBSCRIPTION_MANAGEMENT)
    product = session.get(Product, order.product_id)
    if product.kind != ProductKind.PHYSICAL:
        raise Invalid("only a physical product has a shipping address", "not_physical")
    clean = validate_address(address, product.ship_to or [])
    order.shipping_address = clean
    session.add(order)
    sub = session.exec(select(Subscription).where(Subscription.order_id == order.id)).first()
    m = Managed(order, sub, session.get(VendorAccount, order.account_id), product)
    lines = [", ".join(v for v in (clean["name"], clean["line1"], clean.get("line2"), clean["city"],
                                   clean.get("region"), clean["postal_code"], clean["country"]) if v)]
    _confirm(session, m, now=now, actor=actor, action="change_shipping", summary=["Ships to: " + lines[0]])
    return clean


def options(session: Session, *, now: datetime, actor: Actor, receipt: str) -> dict:
    """What the Manage Subscription modal may offer for this order right now."""
    m = load(session, actor=actor, receipt=receipt)
    live = m.sub.status in LIVE
    compatible = [p for p in session.exec(select(Product).where(Product.account_id == m.account.id)
                                          .order_by(Product.sku)) if _compatible(m.product, p)]
    return {"status": str(m.sub.status), "change_product": live, "products": [
                {"sku": p.sku, "title": p.title, "rebill_price_cents": p.rebill_price_cents,
                 "frequency": calendar.frequency_label(str(p.frequency_unit), p.frequency_count)} for p in compatible],
            "refund_optional": m.product.kind == ProductKind.PHYSICAL,
            "change_bill_date": m.sub.status == SubscriptionStatus.ACTIVE,
            "extend": live and m.sub.rebills_total is not None,
            "reinstate": reinstate_allowed(m, now=now),
            "shipping": m.product.kind == ProductKind.PHYSICAL,
            "shipping_address": m.order.shipping_address or {},
            "next_bill_date": m.sub.next_bill_date, "payments_remaining": m.sub.payments_remaining}
