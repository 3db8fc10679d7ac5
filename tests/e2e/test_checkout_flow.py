"""Buying a recurring product in the browser, then a rebill on the test clock (RULES R5)."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.utils.browser import app_now, move_clock

pytestmark = pytest.mark.e2e


def test_buy_a_subscription_and_see_the_rebill(page: Page, base_url):
    now = app_now(base_url)
    page.goto(f"{base_url}/buy?sku=ACME-PRO&aff=topaff")
    expect(page.get_by_role("heading", name="$29.95 today")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text(re.compile(r"Then \$9\.95 monthly, 11 payments, the first on"))
    page.get_by_label("Email").fill("newbuyer@example.test")
    page.get_by_label("Name").fill("New Buyer")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2030")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay now").click()
    expect(page).to_have_url(re.compile(r"/buy/thanks\?receipt="))
    page.get_by_role("link", name="Go to your order page").click()
    expect(page).to_have_url(re.compile(r"/portal\?receipt="))
    expect(page.get_by_role("row", name=re.compile(r"1 First payment .* \$29\.95 paid"))).to_be_visible()
    expect(page.get_by_text("Active: $9.95 monthly. 11 payments left.")).to_be_visible()

    result = move_clock(base_url, now + timedelta(days=33))
    assert result["processed"] >= 1
    page.reload()
    expect(page.get_by_role("row", name=re.compile(r"2 Renewal .* \$9\.95 paid"))).to_be_visible()


def test_checkout_refuses_an_invalid_card(page: Page, base_url):
    page.goto(f"{base_url}/buy?sku=ACME-EBOOK")
    page.get_by_label("Email").fill("x@example.test")
    page.get_by_label("Name").fill("X")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Card number").fill("4000000000000069")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2030")
    page.get_by_role("button", name="Pay now").click()
    expect(page.get_by_role("alert")).to_contain_text("The card was refused")
