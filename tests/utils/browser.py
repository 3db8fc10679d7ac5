"""Helpers for the browser tests (tests/e2e, tests/scale) and scripts/screenshots.py: the
Chromium launch settings (`browser_type_launch_args`, a fixture registered by those
directories' conftest.py), signing in (`login`), the app's stored test clock (`app_now`)
and finding demo orders to act on (`refundable_order`, `monthly_order_with_a_paid_rebill`)."""

import json
import shutil
import urllib.request
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Bill, Customer, Order, Product, Subscription, Ticket, VendorAccount
from cbportal.services.core import calendar

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]}


def login(page: Page, base_url: str, email: str, password: str):
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).last.click()


def app_now(base_url) -> datetime:
    """The app's stored test clock (other browser tests may have moved it)."""
    with urllib.request.urlopen(f"{base_url}/api/v1/test/clock") as r:
        return datetime.fromisoformat(json.loads(r.read())["now"].replace("Z", "+00:00"))


def refundable_order(database_url, now, nickname="acme"):
    """A demo order of `nickname` with a bill paid in the last 50 days and no ticket ever (the
    browser tests share one database: an order an earlier test used is not fresh)."""
    engine = make_engine(database_url)
    with Session(engine) as s:
        busy = {t.order_id for t in s.exec(select(Ticket))}
        acme = s.exec(select(VendorAccount).where(VendorAccount.nickname == nickname)).one()
        for order, customer in s.exec(select(Order, Customer).join(Customer, Order.customer_id == Customer.id)
                                      .where(Order.account_id == acme.id).order_by(Order.created_at.desc())):
            recent = s.exec(select(Bill).where(Bill.order_id == order.id, Bill.status == "paid",
                                               Bill.paid_at >= now - timedelta(days=50))).first()
            if recent and order.id not in busy and order.status == "active":
                return order.receipt, customer.email
    raise AssertionError("no refundable demo order")


def monthly_order_with_a_paid_rebill(database_url, now):
    """An active ACME-PRO subscription with a paid rebill and a few days left before its next bill."""
    engine = make_engine(database_url)
    with Session(engine) as s:
        acme = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
        today = calendar.local(now, acme.time_zone).date()
        busy = {t.order_id for t in s.exec(select(Ticket).where(Ticket.status == "open"))}
        rows = s.exec(select(Order, Subscription).join(Subscription, Subscription.order_id == Order.id)
                      .join(Product, Product.id == Order.product_id)
                      .where(Product.sku == "ACME-PRO", Subscription.status == "active",
                             Subscription.next_bill_date >= today + timedelta(days=3)))
        for order, _sub in rows:
            rebill = s.exec(select(Bill).where(Bill.order_id == order.id, Bill.kind == "rebill",
                                               Bill.status == "paid", Bill.refunded_cents == 0)).first()
            if rebill and order.id not in busy:
                return order.receipt
    raise AssertionError("no demo subscription to manage")


def move_clock(base_url, to):
    request = urllib.request.Request(f"{base_url}/api/v1/test/clock", method="PUT",
                                     data=json.dumps({"now": to.isoformat()}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as r:
        return json.loads(r.read())
