"""Demo data for `make run`: two vendor accounts in different zones, users of every
kind, products of every kind, a few hundred orders with bills and subscriptions in
every state, and tickets at different points of their timers. Deterministic
(seeded) and relative to the clock's now. Loaded only into an empty database.

Fixed logins: staff@cbportal.test / staff-demo, owner@acme.test / owner-demo,
clerk@acme.test / clerk-demo (and owner@globex.test / owner-demo).
"""

from __future__ import annotations

import random
import string
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import (
    AttemptKind,
    AttemptOutcome,
    Bill,
    BillKind,
    BillStatus,
    CloseReason,
    Customer,
    DunningKind,
    Opener,
    Order,
    OrderStatus,
    Party,
    PaymentAttempt,
    PaymentMethod,
    Product,
    ProductStatus,
    RefundStatus,
    Role,
    SandboxCharge,
    Subscription,
    SubscriptionStatus,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketStatus,
    TicketType,
    User,
)
from cbportal.services.accounts import accounts, auth
from cbportal.services.billing import charges as billing
from cbportal.services.billing import products
from cbportal.services.core import calendar, money
from cbportal.services.tickets import timers as ticket_timers

STAFF = ("staff@cbportal.test", "staff-demo")
OWNER = ("owner@acme.test", "owner-demo")
CLERK = ("clerk@acme.test", "clerk-demo")
GLOBEX_OWNER = ("owner@globex.test", "owner-demo")

PRODUCTS = {
    "acme": [
        dict(sku="ACME-PRO", title="Acme Pro membership", kind="digital", initial=2995, c_init=55, c_rebill=55,
             recurring=products.RecurringTerms(995, "month", 1, rebills=11)),
        dict(sku="ACME-WEEKLY", title="Acme weekly coaching", kind="digital", initial=1900, c_init=40, c_rebill=30,
             recurring=products.RecurringTerms(1900, "week", 1, rebills=None)),
        dict(sku="ACME-QTR", title="Acme quarterly toolkit", kind="digital", initial=4900, c_init=50, c_rebill=50,
             recurring=products.RecurringTerms(4900, "month", 3, rebills=None)),
        dict(sku="ACME-EBOOK", title="The Acme handbook (e-book)", kind="digital", initial=1995, c_init=75,
             c_rebill=0, recurring=None),
        dict(sku="ACME-BOX", title="Acme monthly gadget box", kind="physical", initial=3900, c_init=20,
             c_rebill=20, ship_to=["US", "CA"], recurring=products.RecurringTerms(3900, "month", 1, rebills=6)),
    ],
    "globex": [
        dict(sku="GLOBEX-SUITE", title="Globex suite (14-day free trial)", kind="digital", initial=0, c_init=0,
             c_rebill=35, recurring=products.RecurringTerms(4900, "month", 1, rebills=None, trial_days=14)),
        dict(sku="GLOBEX-ANNUAL", title="Globex annual licence", kind="digital", initial=19900, c_init=30,
             c_rebill=30, recurring=products.RecurringTerms(19900, "month", 12, rebills=None)),
        dict(sku="GLOBEX-MUG", title="Globex mug", kind="physical", initial=1500, c_init=10, c_rebill=0,
             ship_to=["DE", "AT", "CH", "FR"], recurring=None),
    ],
}
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kim", "Lena"]
LAST = ["Novak", "Schmidt", "Okafor", "Rossi", "Tanaka", "Walsh", "Garcia", "Berg", "Moreau", "Singh"]
COUNTRIES = {"acme": ["US", "CA"], "globex": ["DE", "AT", "FR"]}


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(User)).one() == 0


def load(session: Session, *, now: datetime, orders_per_account: int = 150, seed: int = 7) -> dict:
    """Fill an empty database; returns counts of what was made."""
    rng = random.Random(seed)
    staff_user = auth.create_user(session, now=now, email=STAFF[0], name="Sam Staff", password=STAFF[1],
                                  is_staff=True)
    session.flush()
    staff = auth.actor_for(session, staff_user)
    acme, _ = accounts.create_account(session, now=now, actor=staff, nickname="acme", time_zone="America/New_York",
                                      account_email=OWNER[0], customer_service_email="support@acme.test",
                                      owner_password=OWNER[1], owner_name="Olivia Owner")
    acme.contact_phone, acme.contact_url = "+1 555 0100", "https://acme.test/help"
    globex, _ = accounts.create_account(session, now=now, actor=staff, nickname="globex",
                                        time_zone="Europe/Berlin", account_email=GLOBEX_OWNER[0],
                                        owner_password=GLOBEX_OWNER[1], owner_name="Gustav Owner",
                                        admin_frequencies=True)
    auth.create_user(session, now=now, email=CLERK[0], name="Carl Clerk", password=CLERK[1],
                     master_account_id=acme.master_account_id,
                     roles={Role.MANAGE_TICKETS, Role.MANAGE_ORDERS, Role.SUBSCRIPTION_MANAGEMENT,
                            Role.REPORT_ACCESS})
    auth.create_user(session, now=now, email="tickets@acme.test", name="Tina Tickets", password="tickets-demo",
                     master_account_id=acme.master_account_id, roles={Role.MANAGE_TICKETS})
    session.flush()
    counts = {"accounts": 2, "products": 0, "orders": 0, "tickets": 0}
    for account in (acme, globex):
        owner = auth.actor_for(session, session.exec(select(User).where(User.email == account.account_email)).one())
        made = []
        for spec in PRODUCTS[account.nickname]:
            product = products.create_product(
                session, now=now, actor=owner, sku=spec["sku"], account=account.nickname, title=spec["title"],
                kind=spec["kind"], currency="USD", initial_price_cents=spec["initial"],
                commission_initial_pct=spec["c_init"], commission_rebill_pct=spec["c_rebill"],
                ship_to=spec.get("ship_to"), recurring=spec["recurring"],
                description=f"{spec['title']} from {account.nickname}.")
            products.decide_product(session, now=now, actor=staff, sku=product.sku, approve=True)
            made.append(product)
        pending = products.create_product(
            session, now=now, actor=owner, sku=f"{account.nickname.upper()}-NEW", account=account.nickname,
            title="New product awaiting approval", kind="digital", currency="USD", initial_price_cents=2500,
            commission_initial_pct=50)
        made_count = len(made) + 1
        counts["products"] += made_count
        assert pending.status == ProductStatus.PENDING
        for _ in range(orders_per_account):
            _order(session, rng, now=now, account=account, product=rng.choice(made), counts=counts)
    return counts


def _receipt(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def _order(session: Session, rng: random.Random, *, now: datetime, account, product: Product, counts) -> None:
    tz = account.time_zone
    created = now - timedelta(days=rng.uniform(0, 120), hours=rng.uniform(0, 24))
    first, last = rng.choice(FIRST), rng.choice(LAST)
    customer = Customer(email=f"{first}.{last}{rng.randint(1, 999)}@example.test".lower(), name=f"{first} {last}",
                        country=rng.choice(COUNTRIES[account.nickname]), created_at=created)
    session.add(customer)
    session.flush()
    behaviour = rng.random()
    method = PaymentMethod(customer_id=customer.id, type=rng.choice(["card", "card", "card", "paypal", "elv"]),
                           gateway="sandbox", gateway_method_ref=f"sbx_paid_{rng.getrandbits(48):012x}",
                           last4="4242", exp_month=12, exp_year=2030, created_at=created)
    session.add(method)
    session.flush()
    affiliate = rng.choice([None, None, "topaff", "reviewer22"])
    order = Order(receipt=_receipt(rng), account_id=account.id, product_id=product.id, customer_id=customer.id,
                  payment_method_id=method.id, affiliate=affiliate, currency=product.currency, created_at=created,
                  shipping_address={"name": customer.name, "line1": f"{rng.randint(1, 99)} Main St",
                                    "city": "Springfield", "postal_code": "12345", "country": customer.country}
                  if product.kind == "physical" else None)
    session.add(order)
    session.flush()
    counts["orders"] += 1
    start = calendar.local(created, tz).date()
    seq = 1
    if product.initial_price_cents > 0:
        _paid_bill(session, order, method, seq=seq, kind=BillKind.INITIAL, day=start, paid_at=created,
                   amount=product.initial_price_cents, commission_bp=product.commission_initial_bp)
        seq += 1
    if not product.recurring:
        _maybe_ticket(session, rng, now=now, order=order, account=account, created=created, recurring=False,
                      counts=counts)
        return
    unit, count = str(product.frequency_unit), product.frequency_count
    due = (start + timedelta(days=product.trial_days) if product.trial_days
           else calendar.next_bill_date(start, unit, count))
    remaining = product.rebills
    sub = Subscription(order_id=order.id, account_id=account.id, rebill_price_cents=product.rebill_price_cents,
                       commission_rebill_bp=product.commission_rebill_bp, frequency_unit=product.frequency_unit,
                       frequency_count=count, rebills_total=product.rebills, payments_remaining=remaining,
                       trial_days=product.trial_days)
    today = calendar.local(now, tz).date()
    while due <= today and (remaining is None or remaining > 0):
        paid_at = calendar.local_midnight(due, tz) + timedelta(minutes=rng.randint(1, 50))
        _paid_bill(session, order, method, seq=seq, kind=BillKind.REBILL, day=due, paid_at=paid_at,
                   amount=product.rebill_price_cents, commission_bp=product.commission_rebill_bp)
        seq += 1
        remaining = None if remaining is None else remaining - 1
        due = calendar.next_bill_date(due, unit, count)
    sub.payments_remaining = remaining
    billing.schedule_next(sub, account, due, now=now)
    if remaining == 0:
        sub.status, sub.next_bill_date = SubscriptionStatus.COMPLETED, None
        sub.next_charge_at = sub.reminder_due_at = None
        sub.completed_at = now - timedelta(days=1)
    elif behaviour < 0.12:
        sub.status = SubscriptionStatus.CANCELED
        sub.canceled_at = now - timedelta(days=rng.randint(1, 50))
        sub.cancel_reason, sub.next_bill_date = "customer_request", None
        sub.next_charge_at = sub.reminder_due_at = None
    elif behaviour < 0.2:
        failed_day = today - timedelta(days=rng.randint(0, 2))
        session.add(Bill(order_id=order.id, seq=seq, kind=BillKind.REBILL, scheduled_date=failed_day,
                         amount_cents=product.rebill_price_cents, status=BillStatus.FAILED))
        sub.status = SubscriptionStatus.DUNNING
        sub.dunning_kind = rng.choice([DunningKind.AUTHORIZATION, DunningKind.CARD_VALIDATION])
        sub.dunning_failures = sub.dunning_notices = 1
        sub.dunning_next_date = failed_day + timedelta(days=3 if sub.dunning_kind == DunningKind.AUTHORIZATION else 7)
        sub.next_bill_date = failed_day
        sub.next_charge_at = calendar.local_midnight(sub.dunning_next_date, tz)
        sub.reminder_due_at = None
    session.add(sub)
    _maybe_ticket(session, rng, now=now, order=order, account=account, created=created,
                  recurring=sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING), counts=counts,
                  sub=sub)


def _paid_bill(session, order, method, *, seq, kind, day: date, paid_at, amount, commission_bp) -> Bill:
    net, commission, vendor = money.split_bill(amount, rebill=kind == BillKind.REBILL, commission_bp=commission_bp,
                                               affiliate=order.affiliate is not None)
    bill = Bill(order_id=order.id, seq=seq, kind=kind, scheduled_date=day, amount_cents=amount, net_cents=net,
                commission_cents=commission, vendor_cents=vendor, status=BillStatus.PAID, paid_at=paid_at)
    session.add(bill)
    session.flush()
    key = f"charge:{order.receipt}:{seq}"
    ledger = SandboxCharge(idempotency_key=key, kind="charge", method_ref=method.gateway_method_ref,
                           amount_cents=amount, currency=order.currency, outcome="paid", created_at=paid_at)
    session.add(ledger)
    session.flush()
    session.add(PaymentAttempt(bill_id=bill.id, kind=AttemptKind.CHARGE, idempotency_key=key, amount_cents=amount,
                               outcome=AttemptOutcome.PAID, gateway="sandbox", gateway_ref=f"sbx_charge_{ledger.id}",
                               at=paid_at, finished_at=paid_at))
    return bill


TICKET_LINES = {
    TicketType.REFUND: "This is not what I expected. Please refund me.",
    TicketType.CANCEL: "Please stop my subscription.",
    TicketType.TECH_SUPPORT: "I cannot log in to the members area.",
}


def _processed(session, ticket: Ticket, order: Order, sub: Subscription | None) -> None:
    """What a processed ticket did (R3), so every figure agrees: a refund returned the latest
    paid bill through the sandbox (its ledger, attempt, bill and order) and, like a cancel,
    ended the subscription."""
    at = ticket.closed_at
    if sub is not None and sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING):
        sub.status, sub.canceled_at = SubscriptionStatus.CANCELED, at
        sub.cancel_reason = "refund" if ticket.type == TicketType.REFUND else "cancel_ticket"
        sub.next_bill_date = sub.next_charge_at = sub.reminder_due_at = sub.dunning_next_date = None
        session.add(sub)
    if ticket.type != TicketType.REFUND:
        return
    bill = session.exec(select(Bill).where(Bill.order_id == order.id, Bill.status == BillStatus.PAID,
                                           Bill.paid_at <= at).order_by(Bill.seq.desc())).first()
    if bill is None:
        return
    charge = session.exec(select(PaymentAttempt).where(PaymentAttempt.bill_id == bill.id,
                                                       PaymentAttempt.kind == AttemptKind.CHARGE)).one()
    key = f"refund:demo:{order.receipt}:{bill.seq}"
    ledger = SandboxCharge(idempotency_key=key, kind="refund", method_ref="demo", charge_ref=charge.gateway_ref,
                           amount_cents=bill.amount_cents, currency=order.currency, outcome="refunded", created_at=at)
    session.add(ledger)
    session.flush()
    session.add(PaymentAttempt(bill_id=bill.id, ticket_id=ticket.id, kind=AttemptKind.REFUND, idempotency_key=key,
                               amount_cents=bill.amount_cents, outcome=AttemptOutcome.REFUNDED, gateway="sandbox",
                               gateway_ref=f"sbx_refund_{ledger.id}", at=at, finished_at=at, chain_started_at=at))
    bill.status, bill.refunded_cents, bill.refunded_at = BillStatus.REFUNDED, bill.amount_cents, at
    order.status = OrderStatus.REFUNDED
    ticket.target_bill_id, ticket.refund_status = bill.id, RefundStatus.SUCCEEDED
    session.add_all([bill, order, ticket])


def _maybe_ticket(session, rng, *, now, order, account, created, recurring, counts, sub=None) -> None:
    roll = rng.random()
    if roll > 0.3:
        return
    kinds = [TicketType.TECH_SUPPORT, TicketType.REFUND] + ([TicketType.CANCEL] if recurring else [])
    kind = rng.choice(kinds)
    opened = max(created + timedelta(hours=1), now - timedelta(hours=rng.uniform(1, 70)))
    is_open = roll < 0.2 and opened < now
    by_vendor = rng.random() < 0.15
    ticket = Ticket(order_id=order.id, account_id=account.id, type=kind, opened_at=opened, last_action_at=opened,
                    opened_by=Opener.VENDOR if by_vendor else Opener.CUSTOMER,
                    reason="customer_request" if by_vendor else None,
                    last_actor=Party.VENDOR if by_vendor else Party.CUSTOMER)
    why = ""
    if kind is TicketType.TECH_SUPPORT:
        ticket.inactivity_at = opened + timedelta(hours=48)
    else:
        ticket.process_at, why = ticket_timers.process_at(at=opened, by_vendor=by_vendor, physical=False,
                                                          vendor_flagged=False, tz=account.time_zone)
    if not is_open or (ticket.process_at and ticket.process_at <= now):
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = min(now, ticket.process_at or opened + timedelta(hours=5))
        ticket.close_reason = CloseReason.PROCESSED if ticket.process_at else rng.choice(
            [CloseReason.CUSTOMER, CloseReason.VENDOR])
        if ticket.process_at and order.id % 3 == 0:     # a saved sale: withdrawn before it processed
            ticket.closed_at = min(now, opened + timedelta(hours=3), ticket.process_at)
            ticket.close_reason = CloseReason.CUSTOMER if order.id % 2 else CloseReason.VENDOR
    session.add(ticket)
    session.flush()
    if ticket.close_reason == CloseReason.PROCESSED:
        _processed(session, ticket, order, sub)
    author = Party.VENDOR if by_vendor else Party.CUSTOMER
    session.add(TicketComment(ticket_id=ticket.id, author=author, body=TICKET_LINES[kind], at=opened))
    session.add(TicketEvent(ticket_id=ticket.id, kind="opened", actor=author, at=opened,
                            detail={"type": kind.value, "why": why}))
    if ticket.status == TicketStatus.CLOSED:
        session.add(TicketEvent(ticket_id=ticket.id, kind="closed", actor=Party.SYSTEM, at=ticket.closed_at,
                                detail={"reason": str(ticket.close_reason)}))
    counts["tickets"] += 1
