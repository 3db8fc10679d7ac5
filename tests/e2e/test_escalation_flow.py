"""The vendor closes a refund ticket with the consent box ticked, the customer escalates,
and platform staff refund it at once and flag the vendor (RULES R3)."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.utils.browser import app_now, login, refundable_order

pytestmark = pytest.mark.e2e


def post(base_url, path, body):
    request = urllib.request.Request(f"{base_url}/api/v1{path}", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as r:
        return json.loads(r.read())


def test_escalated_ticket_refunded_by_staff(page: Page, browser: Browser, base_url, app_server):
    # globex, so that flagging it leaves acme's tickets to the other browser tests
    receipt, email = refundable_order(app_server["database_url"], app_now(base_url), nickname="globex")
    ticket = post(base_url, "/customer/tickets", {"receipt": receipt, "email": email, "type": "refund",
                                                 "comment": "Refund please"})
    login(page, base_url, "owner@globex.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/ticket?id={ticket['id']}")
    page.get_by_role("button", name="Close ticket").click()
    expect(page.get_by_role("alert")).to_contain_text("customer's consent")
    page.get_by_role("checkbox", name="The customer agreed to this").click()   # one control, answered by the server
    expect(page.get_by_role("checkbox", name="The customer agreed to this")).to_be_checked()
    page.get_by_role("button", name="Close ticket").click()
    expect(page.get_by_text("Closed (vendor).")).to_be_visible()

    post(base_url, f"/customer/tickets/{ticket['id']}/escalate", {"email": email, "comment": "I did not agree."})
    staff = browser.new_context().new_page()
    login(staff, base_url, "staff@cbportal.test", "staff-demo")
    row = staff.get_by_test_id("escalation").filter(has_text=receipt)
    expect(row).to_contain_text("I did not agree.")               # the customer's words, not just the ids
    row.get_by_role("button", name="Refund and flag vendor").click()
    dialog = staff.get_by_role("alertdialog")                     # refunding acts on money: confirm first
    expect(dialog).to_contain_text("flagged for abuse")
    dialog.get_by_role("button", name="Refund and flag vendor").click()
    expect(staff.get_by_role("status")).to_contain_text(re.compile(r"refund processing now, vendor flagged"))
    view = post(base_url, f"/customer/tickets/{ticket['id']}/view", {"email": email})
    for _ in range(20):
        if view["status"] == "closed":
            break
        page.wait_for_timeout(500)
        view = post(base_url, f"/customer/tickets/{ticket['id']}/view", {"email": email})
    assert (view["status"], view["close_reason"], view["type"]) == ("closed", "processed", "refund")
