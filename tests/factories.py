"""Test data built through the services where they exist (accounts, products, the
sandbox gateway), and directly for orders and bills until checkout exists."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlmodel import Session, select

from cbportal.models import (
    AttemptKind,
    AttemptOutcome,
    Bill,
    BillKind,
    BillStatus,
    Customer,
    Order,
    PaymentAttempt,
    PaymentMethod,
    Role,
    SandboxCharge,
    Subscription,
    SubscriptionStatus,
    User,
)
from cbportal.services.accounts import accounts, auth
from cbportal.services.billing import products
from cbportal.services.billing.gateways import PaymentInput
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core import money

_receipts = itertools.count(1)


def staff(session: Session, now: datetime) -> auth.Actor:
    user = session.exec(select(User).where(User.is_staff)).first()
    if user is None:
        user = auth.create_user(session, now=now, email="staff@cbportal.test", name="Staff", is_staff=True)
        session.flush()
    return auth.actor_for(session, user)


def account(session: Session, now: datetime, nickname="acme", tz="America/New_York"):
    acct, _ = accounts.create_account(session, now=now, actor=staff(session, now), nickname=nickname, time_zone=tz,
                                      account_email=f"owner@{nickname}.test",
                                      customer_service_email=f"support@{nickname}.test")
    session.flush()
    owner = session.exec(select(User).where(User.email == f"owner@{nickname}.test")).one()
    return acct, auth.actor_for(session, owner)


def clerk(session: Session, now: datetime, acct, roles=(Role.MANAGE_TICKETS,), email=None) -> auth.Actor:
    user = auth.create_user(session, now=now, email=email or f"clerk{next(_receipts)}@{acct.nickname}.test",
                            name="Clerk", master_account_id=acct.master_account_id, roles=set(roles))
    session.flush()
    return auth.actor_for(session, user)


def product(session: Session, now: datetime, owner, acct, *, sku="PRO", kind="digital", recurring=True,
            initial=2995, rebill=995):
    terms = products.RecurringTerms(rebill, "month", 1, rebills=11) if recurring else None
    p = products.create_product(session, now=now, actor=owner, sku=sku, account=acct.nickname, title=f"Product {sku}",
                                kind=kind, currency="USD", initial_price_cents=initial, commission_initial_pct=55,
                                commission_rebill_pct=55, ship_to=["US"] if kind == "physical" else None,
                                recurring=terms)
    products.decide_product(session, now=now, actor=staff(session, now), sku=sku, approve=True)
    return p


def order(session: Session, engine, clock, prod, acct, *, paid_at: datetime, email="buyer@example.test",
          recurring=True) -> Order:
    """An order with its initial bill paid through the sandbox (a real ledger entry)."""
    saved = SandboxGateway(engine, clock).save_method(PaymentInput(type="card", card_number="4242424242424242",
                                                                   exp_month=12, exp_year=2030))
    customer = Customer(email=email, name="Buyer", country="US", created_at=paid_at)
    session.add(customer)
    session.flush()
    method = PaymentMethod(customer_id=customer.id, type="card", gateway="sandbox",
                           gateway_method_ref=saved.method_ref, last4="4242", created_at=paid_at)
    session.add(method)
    session.flush()
    o = Order(receipt=f"R{next(_receipts):07d}", account_id=acct.id, product_id=prod.id, customer_id=customer.id,
              payment_method_id=method.id, currency="USD", created_at=paid_at)
    session.add(o)
    session.flush()
    add_paid_bill(session, o, seq=1, kind=BillKind.INITIAL, amount=prod.initial_price_cents,
                  paid_at=paid_at, method_ref=saved.method_ref)
    if recurring and prod.recurring:
        session.add(Subscription(order_id=o.id, account_id=acct.id, rebill_price_cents=prod.rebill_price_cents,
                                 frequency_unit=prod.frequency_unit, frequency_count=prod.frequency_count,
                                 rebills_total=prod.rebills, payments_remaining=prod.rebills,
                                 next_bill_date=(paid_at + timedelta(days=30)).date(),
                                 status=SubscriptionStatus.ACTIVE))
    session.flush()
    return o


def add_paid_bill(session, o, *, seq, kind, amount, paid_at, method_ref=None) -> Bill:
    method_ref = method_ref or session.get(PaymentMethod, o.payment_method_id).gateway_method_ref
    net, commission, vendor = money.split_bill(amount, rebill=kind == BillKind.REBILL, commission_bp=5500,
                                               affiliate=False)
    bill = Bill(order_id=o.id, seq=seq, kind=kind, scheduled_date=paid_at.date(), amount_cents=amount, net_cents=net,
                commission_cents=commission, vendor_cents=vendor, status=BillStatus.PAID, paid_at=paid_at)
    session.add(bill)
    session.flush()
    key = f"charge:{o.receipt}:{seq}"
    # The sandbox's ledger row, written in this session (the gateway's own connection would
    # wait for this test's open SQLite write transaction).
    ledger = SandboxCharge(idempotency_key=key, kind="charge", method_ref=method_ref, amount_cents=amount,
                           currency="USD", outcome="paid", created_at=paid_at)
    session.add(ledger)
    session.flush()
    session.add(PaymentAttempt(bill_id=bill.id, kind=AttemptKind.CHARGE, idempotency_key=key, amount_cents=amount,
                               outcome=AttemptOutcome.PAID, gateway="sandbox", gateway_ref=f"sbx_charge_{ledger.id}",
                               at=paid_at, finished_at=paid_at))
    session.flush()
    return bill
