"""The live-dashboard walk shared by the one-process and the several-process browser
tests: a vendor's dashboard in one browser, a customer in another, and the time it
takes each change to appear on the dashboard without a reload."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from tests.utils.browser import app_now, login, refundable_order

PUSH_LIMIT_SECONDS = 1.0


def row_state(page: Page, receipt: str, text: str, timeout_ms: int = 10_000) -> float:
    """Wait until the dashboard row of `receipt` contains `text` ("" = the row is gone); returns when."""
    if text:
        script = ("([r, t]) => [...document.querySelectorAll('[data-testid=ticket-row]')]"
                  ".some(row => row.textContent.includes(r) && row.textContent.includes(t))")
    else:
        script = ("([r, t]) => ![...document.querySelectorAll('[data-testid=ticket-row]')]"
                  ".some(row => row.textContent.includes(r))")
    page.wait_for_function(script, arg=[receipt, text], polling=20, timeout=timeout_ms)
    return time.monotonic()


def open_dashboard(browser: Browser, base_url: str, now) -> Page:
    context = browser.new_context()
    page = context.new_page()
    page.clock.install(time=now)
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    expect(page.get_by_test_id("live-badge")).to_be_visible()
    return page


def customer_converts_a_refund_request(browser: Browser, page: Page, base_url: str, database_url: str,
                                       dashboards: list[Page]) -> dict:
    """The customer opens a refund ticket, then withdraws it to tech support; every dashboard
    shows both changes live. Returns the receipt and the push delays in seconds."""
    now = app_now(base_url)
    receipt, email = refundable_order(database_url, now)
    page.clock.install(time=now)
    page.goto(f"{base_url}/portal")
    page.get_by_label("Receipt").fill(receipt)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("radio", name="Refund").click()
    page.get_by_label("Message").fill("It does not work for me.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("heading", name=re.compile(r"(request|support) #\d+"))).to_be_visible()
    opened = time.monotonic()
    opened_delays = [row_state(d, receipt, "refund") - opened for d in dashboards]
    for d in dashboards:   # the countdown ticks in the browser
        expect(d.get_by_test_id("ticket-row").filter(has_text=receipt)).to_contain_text(re.compile(r"\d+ (d|h) "))

    page.get_by_role("button", name="Withdraw: change to technical support").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Withdraw the request").click()
    expect(page.get_by_role("status")).to_contain_text("changed")
    converted = time.monotonic()
    converted_delays = [row_state(d, receipt, "tech support") - converted for d in dashboards]
    for d in dashboards:
        expect(d.get_by_test_id("saved-sales")).to_contain_text("Converted to support")
    return {"receipt": receipt, "opened": opened_delays, "converted": converted_delays}
