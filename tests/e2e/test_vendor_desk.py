"""Issue 16 points 2 to 5 in a real browser: the ticket detail (customer panel, internal note
never emailed, canned reply inserted, assignment and status history; the vendor's own
5-minute request canceled without consent and not escalatable), the dashboard (search by
any part of an email, filters in the address and cleared, due-within on Enter, a live new
row highlighted), transactions (compact bar with date pickers, any-case SKU, CSV in dollars
with a totals row), and forms (Add a clerk keeps its values; Manage Subscription re-reads
its offers after a reinstate)."""

import json
import re
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Customer, Order, Subscription, Ticket, VendorAccount
from tests.utils.browser import app_now, login, refundable_order

pytestmark = pytest.mark.e2e


def post(base_url, path, body):
    request = urllib.request.Request(f"{base_url}/api/v1{path}", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_ticket_detail_context_note_canned_reply_and_assignment(page: Page, base_url, app_server):
    receipt, email = refundable_order(app_server["database_url"], app_now(base_url))
    status, ticket = post(base_url, "/customer/tickets", {"receipt": receipt, "email": email, "type": "refund",
                                                         "comment": "The videos do not play."})
    assert status == 201
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/ticket?id={ticket['id']}")
    panel = page.get_by_test_id("customer-panel")
    expect(panel).to_contain_text(email)
    expect(panel.get_by_role("link", name=receipt)).to_have_attribute("href", f"/vendor/orders?receipt={receipt}")
    expect(page.get_by_test_id("at-stake")).to_contain_text(re.compile(r"At stake: \$\d+\.\d\d"))
    expect(page.get_by_test_id("status-row").first).to_contain_text("Opened as a refund request by the customer.")
    expect(page.get_by_role("checkbox", name="The customer agreed to this")).to_have_count(1)    # one control

    page.get_by_label("Internal note").fill("Called him: offer the web player first.")
    page.get_by_role("button", name="Add internal note").click()
    expect(page.get_by_test_id("note-row")).to_contain_text("offer the web player first")

    page.get_by_role("button", name="New canned text").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("Web player")
    dialog.get_by_label("Canned text").fill("Please try our web player at acme.test/play.")
    dialog.get_by_role("button", name="Save canned text").click()
    expect(page.get_by_role("status")).to_contain_text("Canned text “Web player” saved")
    page.get_by_role("button", name="Insert canned text").click()
    page.get_by_role("menuitem", name="Web player").click()
    expect(page.get_by_label("Reply")).to_have_value("Please try our web player at acme.test/play.")
    page.get_by_role("button", name="Edit canned text Web player").click()        # edit it
    dialog.get_by_label("Canned text").fill("Please try our web player at acme.test/play (any browser).")
    dialog.get_by_role("button", name="Save canned text").click()
    expect(page.get_by_role("status")).to_contain_text("Canned text “Web player” saved")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("sent to the customer")

    page.get_by_role("combobox", name="Assigned to").click()
    page.get_by_role("option", name="Carl Clerk").click()
    expect(page.get_by_test_id("status-row").last).to_contain_text("Assigned to Carl Clerk.")
    # The note never reaches an email: the reply's emails are written, none holds the note.
    mail_dir = Path(app_server["env"]["CBPORTAL_VAR_DIR"]) / "mail"
    deadline, replies = time.time() + 20, []
    while time.time() < deadline and len(replies) < 2:
        replies = [p for p in mail_dir.glob("*-reply.eml")
                   if receipt in (text := p.read_text()) and "web player at acme" in text]
        time.sleep(0.5)
    assert len(replies) == 2 and all("web player at acme" in p.read_text() for p in replies)
    assert not any("offer the web player first" in p.read_text() for p in mail_dir.glob("*.eml"))


def test_vendor_cancels_its_own_request_without_consent(page: Page, base_url, app_server):
    receipt, email = refundable_order(app_server["database_url"], app_now(base_url))
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/tickets?receipt={receipt}")
    expect(page.get_by_label("Receipt")).to_have_value(receipt)
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("heading", name="Your own request")).to_be_visible()
    expect(page.get_by_role("heading", name="Save the sale")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="The customer agreed to this")).to_have_count(0)
    page.get_by_role("button", name="Cancel this request").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel the request").click()
    expect(page.get_by_text("Closed (vendor).")).to_be_visible()
    ticket_id = int(re.search(r"id=(\d+)", page.url).group(1))
    status, body = post(base_url, f"/customer/tickets/{ticket_id}/escalate", {"email": email, "comment": "?"})
    assert (status, body["error"]["code"]) == (409, "not_escalatable")


def open_acme_ticket_emails(database_url) -> list[str]:
    with Session(make_engine(database_url)) as s:
        acme = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
        return [c.email for c in s.exec(select(Customer).join(Order, Order.customer_id == Customer.id)
                                        .join(Ticket, Ticket.order_id == Order.id)
                                        .where(Ticket.status == "open", Ticket.account_id == acme.id))]


def test_dashboard_search_filters_in_the_address_and_live_highlight(page: Page, base_url, app_server):
    emails = open_acme_ticket_emails(app_server["database_url"])
    assert emails
    target = emails[0]
    middle = target.split("@")[0][2:]                # not the start: "any part" of the email
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    total = page.get_by_test_id("ticket-total")
    expect(total).to_contain_text(re.compile(r"^\d+ open tickets?"))
    page.get_by_label("Search").fill(middle)
    page.get_by_label("Search").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(middle)))
    rows = page.get_by_test_id("ticket-row")
    expect(rows.first).to_contain_text(middle)
    expect(rows.filter(has_not_text=middle)).to_have_count(0)
    page.reload()                                   # kept in the address: shareable
    expect(page.get_by_label("Search")).to_have_value(middle)
    expect(rows.first).to_contain_text(middle)
    page.get_by_role("button", name="Clear filters").click()
    expect(page).to_have_url(f"{base_url}/vendor")
    page.get_by_label("Due within hours").fill("12")
    page.get_by_label("Due within hours").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]due=12"))
    expect(page.get_by_role("combobox", name="Due")).to_have_text("Within 12 hours")
    page.get_by_role("button", name="Clear filters").click()

    receipt, email = refundable_order(app_server["database_url"], app_now(base_url))
    expect(page.get_by_test_id("live-badge")).to_be_visible()
    status, _ = post(base_url, "/customer/tickets", {"receipt": receipt, "email": email, "type": "tech_support",
                                                     "comment": "Where is my login?"})
    assert status == 201
    fresh = page.get_by_test_id("ticket-row").filter(has_text=receipt)
    expect(fresh).to_have_attribute("data-new", "yes")
    expect(fresh).to_contain_text("waits on you")


def test_transactions_compact_bar_any_case_sku_and_csv_totals(page: Page, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/orders")
    expect(page.get_by_label("From")).to_have_attribute("type", "date")
    expect(page.get_by_label("To", exact=True)).to_have_attribute("type", "date")
    page.get_by_label("Product SKU").fill("acme-pro")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row").filter(has_text="ACME-PRO").first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="ACME-WEEKLY")).to_have_count(0)
    expect(page.get_by_role("row").nth(1)).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("receipt,created,time_zone,account,sku")
    assert re.match(r"^Total \(\d+ orders?\),+USD,\d+\.\d\d,", lines[-1])
    assert re.search(r",ACME-PRO,.*,USD,\d+\.\d\d,\d+\.\d\d,", lines[1])


def test_add_a_clerk_keeps_what_was_typed_when_refused(page: Page, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/users")
    page.get_by_label("Name", exact=True).fill("Wendy Wrong")
    page.get_by_label("Email", exact=True).fill("not-an-email")
    page.get_by_role("button", name="Add clerk").click()
    expect(page.get_by_role("alert")).to_contain_text("not an email address")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Wendy Wrong")
    expect(page.get_by_label("Email", exact=True)).to_have_value("not-an-email")


def canceled_subscription(database_url, now) -> str:
    with Session(make_engine(database_url)) as s:
        acme = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
        for order, _sub in s.exec(select(Order, Subscription).join(Subscription, Subscription.order_id == Order.id)
                                 .where(Order.account_id == acme.id, Subscription.status == "canceled",
                                        Subscription.canceled_at >= now - timedelta(days=50))):
            return order.receipt
    raise AssertionError("no recently canceled demo subscription")


def test_manage_subscription_rereads_its_offers_after_a_reinstate(page: Page, base_url, app_server):
    receipt = canceled_subscription(app_server["database_url"], app_now(base_url))
    login(page, base_url, "clerk@acme.test", "clerk-demo")
    expect(page).to_have_url(re.compile("/vendor"))
    page.goto(f"{base_url}/vendor/orders?receipt={receipt}")
    page.get_by_role("button", name="Manage subscription").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("tab", name="Reinstate").click()
    dialog.get_by_role("button", name="Reinstate subscription").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Reinstate").click()
    expect(dialog.get_by_role("status")).to_contain_text("Subscription reinstated")
    expect(dialog.get_by_role("tab", name="Reinstate")).to_have_count(0)     # no longer on offer
    expect(dialog.get_by_role("button", name="Reinstate subscription")).to_have_count(0)
    expect(dialog.get_by_role("alert")).to_have_count(0)
    expect(dialog.get_by_role("tab", selected=True)).not_to_have_text("Reinstate")
