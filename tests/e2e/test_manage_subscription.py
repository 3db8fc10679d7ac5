"""A clerk manages a subscription in the browser (RULES R7, R1): searches the order,
opens Manage Subscription, picks another product, sees the prorated refund before
saving, saves, and the customer's confirmation email is written. A clerk without the
role is refused."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Bill, Order, Product
from tests.utils.browser import app_now, login, monthly_order_with_a_paid_rebill

pytestmark = pytest.mark.e2e


def outbox(base_url, receipt, kind):
    with urllib.request.urlopen(f"{base_url}/api/v1/test/outbox?receipt={receipt}&kind={kind}") as r:
        return json.loads(r.read())


def test_clerk_changes_the_product_and_sees_the_prorated_refund_first(page: Page, base_url, app_server):
    receipt = monthly_order_with_a_paid_rebill(app_server["database_url"], app_now(base_url))
    login(page, base_url, "clerk@acme.test", "clerk-demo")
    expect(page).to_have_url(re.compile("/vendor"))
    page.goto(f"{base_url}/vendor/orders")
    page.get_by_label("Receipt").fill(receipt)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("Page 1 of 1 · 1 order")).to_be_visible()
    page.get_by_role("button", name=f"Open order {receipt}").click()
    expect(page.get_by_role("heading", name=f"Order {receipt}")).to_be_visible()
    page.get_by_role("button", name="Manage subscription").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Manage subscription")
    dialog.get_by_role("combobox", name="New product").click()
    page.get_by_role("option", name=re.compile("Acme weekly coaching")).click()
    preview = dialog.get_by_role("note")
    expect(preview).to_contain_text(re.compile(r"Prorated refund: \$\d+\.\d\d"))
    shown = re.search(r"Prorated refund: \$(\d+)\.(\d\d)", preview.inner_text())
    shown_cents = int(shown.group(1)) * 100 + int(shown.group(2))
    assert shown_cents > 0
    dialog.get_by_role("button", name="Save product change").click()
    expect(dialog.get_by_role("status")).to_contain_text("Product changed")
    expect(dialog.get_by_role("status")).to_contain_text(f"${shown_cents // 100}.{shown_cents % 100:02d} refunded")
    mails = outbox(base_url, receipt, "subscription_changed")
    assert len(mails) == 1 and mails[0]["subject"] == f"Your subscription changed: order {receipt}"
    engine = make_engine(app_server["database_url"])
    with Session(engine) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        assert s.get(Product, order.product_id).sku == "ACME-WEEKLY"
        refunded = s.exec(select(Bill).where(Bill.order_id == order.id, Bill.refunded_cents > 0)).all()
        assert [b.refunded_cents for b in refunded] == [shown_cents]


def test_a_clerk_without_subscription_management_is_not_offered_the_modal(page: Page, base_url, app_server):
    login(page, base_url, "tickets@acme.test", "tickets-demo")
    expect(page).to_have_url(re.compile("/vendor"))
    page.goto(f"{base_url}/vendor/orders")
    expect(page.get_by_role("alert")).to_contain_text("does not have the Manage Orders role")
    expect(page.get_by_role("button", name="Manage subscription")).to_have_count(0)
