"""A vendor creates a recurring product, staff approve it, its order form states the terms (R5)."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.utils.browser import login

pytestmark = pytest.mark.e2e


def test_create_approve_and_sell(page: Page, browser: Browser, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/products")
    page.get_by_label("SKU").fill("ACME-YOGA")
    page.get_by_label("Title").fill("Yoga weekly")
    page.get_by_label("Price today ($)").fill("0")
    page.get_by_label("Commission %").fill("40")
    page.get_by_label("Rebill price ($)").fill("12.50")
    page.get_by_label("Trial days").fill("7")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("status")).to_contain_text("waits for approval")
    expect(page.get_by_role("row", name=re.compile("ACME-YOGA.*pending"))).to_be_visible()

    staff = browser.new_context().new_page()
    login(staff, base_url, "staff@cbportal.test", "staff-demo")
    row = staff.get_by_test_id("product-review").filter(has_text="ACME-YOGA")
    row.get_by_role("button", name="Approve").click()
    expect(staff.get_by_role("status")).to_contain_text("ACME-YOGA approved")

    page.reload()
    page.get_by_role("row", name=re.compile("ACME-YOGA")).get_by_role("link", name="Order form").click()
    expect(page.get_by_role("heading", name="Free today (7-day trial)")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("Then $12.50 monthly, until you cancel")
