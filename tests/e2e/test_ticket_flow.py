"""A refund ticket end to end in real browsers (RULES R3, R4): the customer opens it,
the vendor sees its countdown and replies, the customer withdraws it to technical
support and closes it, and every email lands in the mail folder."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.utils.browser import app_now, login, refundable_order

pytestmark = pytest.mark.e2e


def test_refund_ticket_saved_by_the_vendor(page: Page, browser: Browser, base_url, app_server):
    now = app_now(base_url)
    receipt, email = refundable_order(app_server["database_url"], now)
    page.clock.install(time=now)                        # the browser lives on the app's test clock
    page.goto(f"{base_url}/portal")
    page.get_by_label("Receipt").fill(receipt)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("radio", name="Refund").click()
    expect(page.get_by_text("refunded after 24 business hours")).to_be_visible()
    page.get_by_label("Message").fill("The course videos do not play.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("heading", name=re.compile(r"(request|support) #\d+"))).to_be_visible()
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text("weekend hours do not count")
    expect(timer).to_contain_text(re.compile(r"Refund in \d+ (d|h)"))
    ticket_url = page.url

    vendor_context = browser.new_context()
    vendor = vendor_context.new_page()
    vendor.clock.install(time=now)
    login(vendor, base_url, "owner@acme.test", "owner-demo")
    expect(vendor).to_have_url(f"{base_url}/vendor")
    vendor.goto(f"{base_url}/vendor/tickets")
    row = vendor.get_by_role("row").filter(has_text=receipt)
    expect(row).to_contain_text(re.compile(r"\d+ (d|h) "))        # the live countdown
    row.get_by_role("link").click()
    expect(vendor.get_by_role("timer")).to_contain_text("Refund in")
    vendor.get_by_label("Reply").fill("Try the web player at acme.test/play — it works on every browser.")
    vendor.get_by_role("button", name="Send reply").click()
    expect(vendor.get_by_role("status")).to_contain_text("sent to the customer")

    page.goto(ticket_url)
    expect(page.get_by_text("Try the web player")).to_be_visible()
    page.get_by_role("button", name="Withdraw: change to technical support").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Withdraw the request").click()
    expect(page.get_by_role("status")).to_contain_text("changed")
    expect(page.get_by_role("timer")).to_have_count(0)
    page.get_by_role("button", name="Close ticket").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Close ticket").click()
    expect(page.get_by_text("This ticket is closed: you closed it.")).to_be_visible()

    vendor.reload()
    expect(vendor.get_by_text("Closed (customer).")).to_be_visible()
    vendor_context.close()

    mail_dir = Path(app_server["env"]["CBPORTAL_VAR_DIR"]) / "mail"
    wanted = {"ticket_opened", "reply", "ticket_changed", "ticket_closed"}
    deadline = time.time() + 20
    while time.time() < deadline:
        kinds = {p.stem.split("-", 2)[-1] for p in mail_dir.glob("*.eml")}
        if wanted <= kinds:
            break
        time.sleep(0.5)
    assert wanted <= kinds
    customer_mail = [p for p in mail_dir.glob("*-reply.eml") if email in p.read_text()]
    assert customer_mail and "Try the web player" in customer_mail[0].read_text()
