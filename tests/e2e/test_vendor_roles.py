"""Issue 16 points 1 and 7 in a real browser. Every page for every role: the navbar shows
only what the user may use, a page the user may not open says so with a link home (never a
silent trip to the login page), and no visible action on an open page is refused for the
role when clicked (R8). Then the seed gaps: the description of an approved product is
edited, the Subscriptions list filters and downloads, and the permissions page's report
access switch opens the Reports page to a clerk."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.utils.browser import login

pytestmark = pytest.mark.e2e

PAGES = ["/vendor", "/vendor/tickets", "/vendor/orders", "/vendor/products", "/vendor/reports", "/vendor/users",
         "/vendor/settings", "/staff", "/staff/phone", "/staff/emails"]
NAV = ["Find your order", "Vendor dashboard", "Tickets", "Transactions", "Products", "Reports", "Users", "API keys",
       "Settings", "Staff", "Phone ticket", "Email samples"]
ROLES = {   # login -> (pages it opens, navbar links it sees)
    "owner": (("owner@acme.test", "owner-demo"), PAGES[:7],
              ["Find your order", "Vendor dashboard", "Tickets", "Transactions", "Products", "Reports", "Users",
               "Settings"]),
    "clerk": (("clerk@acme.test", "clerk-demo"), ["/vendor", "/vendor/tickets", "/vendor/orders", "/vendor/reports",
                                                  "/vendor/users", "/vendor/settings"],
              ["Find your order", "Vendor dashboard", "Tickets", "Transactions", "Reports", "API keys"]),
    "tickets": (("tickets@acme.test", "tickets-demo"), ["/vendor", "/vendor/tickets", "/vendor/users",
                                                         "/vendor/settings"],
                ["Find your order", "Vendor dashboard", "Tickets", "API keys"]),
    "staff": (("staff@cbportal.test", "staff-demo"), ["/vendor/orders", "/staff", "/staff/phone", "/staff/emails"],
              ["Staff", "Phone ticket", "Email samples"]),
}
# Buttons not clicked: they end the session or change money or access for good (each sits
# behind its own confirmation, tested in its own flow).
SKIP = re.compile(r"^(Log out|Deactivate|Revoke|Reactivate|Approve|Reject|Uphold|Refund|Flag|Unflag|Retry|Mark|"
                  r"Set password)", re.I)
RECEIPT = re.compile(r"^[A-Z0-9]{8}$")
BUTTONS = "button:visible:not([role=switch]):not([role=checkbox]):not([role=combobox]):not([role=radio])"
REFUSED_WORDS = re.compile(r"needs the .* role|report access|only platform staff|does not have|not allowed",
                           re.I)


def nav_links(page: Page) -> list[str]:
    nav = page.locator("div").filter(has=page.get_by_role("link", name="cbportal")).first
    return [name for name in NAV if nav.get_by_role("link", name=name, exact=True).count() > 0]


def click_what_is_shown(page: Page, path: str) -> list[str]:
    """Click every visible button (closing any dialog it opens); return the role refusals seen."""
    refusals, receipts = [], 0
    names = [b.inner_text().strip() for b in page.locator(BUTTONS).all()]
    for index, name in enumerate(names):
        if not name or SKIP.match(name):
            continue
        if RECEIPT.match(name):                 # one order window stands for all the rows
            receipts += 1
            if receipts > 1:
                continue
        button = page.locator(BUTTONS).nth(index)
        if button.count() == 0 or button.inner_text().strip() != name or not button.is_enabled():
            continue
        button.click()
        page.wait_for_timeout(400)              # let the server answer; the check below is not timed
        for alert in page.get_by_role("alert").all():
            text = alert.inner_text()
            if REFUSED_WORDS.search(text):
                refusals.append(f"{path} {name!r}: {text}")
        page.keyboard.press("Escape")
        if not page.url.rstrip("/").endswith(path):
            page.go_back()
    return refusals


@pytest.mark.parametrize("role", list(ROLES))
def test_r8_every_page_for_every_role(page: Page, base_url, role):
    (email, password), opens, nav = ROLES[role]
    login(page, base_url, email, password)
    expect(page).to_have_url(re.compile(r"/(vendor|staff)/?$"))
    refusals = []
    for path in PAGES:
        page.goto(f"{base_url}{path}")
        expect(page).to_have_url(re.compile(re.escape(f"{base_url}{path}") + "/?$"))   # never sent to the login page
        if path in opens:
            expect(page.get_by_role("link", name="Log in")).to_have_count(0)
            page.wait_for_timeout(500)          # the page's load event has answered
            expect(page.get_by_test_id("refused")).to_have_count(0)
            assert nav_links(page) == nav, f"{role} on {path}"
            refusals += click_what_is_shown(page, path)
        else:
            expect(page.get_by_test_id("refused")).to_be_visible()
            expect(page.get_by_role("link", name="Back to the home page")).to_be_visible()
    assert refusals == []


def test_r5_owner_edits_the_description_of_an_approved_product(page: Page, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/products")
    page.get_by_role("button", name="Edit the description of ACME-PRO").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Description").fill("Members get every course and a monthly live session.")
    dialog.get_by_role("button", name="Save description").click()
    expect(page.get_by_role("status")).to_contain_text("The description of ACME-PRO is saved")
    expect(page.get_by_role("row", name=re.compile("ACME-PRO.*approved"))).to_be_visible()   # terms as approved
    page.reload()
    page.get_by_role("button", name="Edit the description of ACME-PRO").click()
    expect(page.get_by_role("dialog").get_by_label("Description")).to_have_value(
        "Members get every course and a monthly live session.")


def test_subscriptions_list_filters_and_downloads(page: Page, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/reports")
    rows = page.get_by_test_id("subscription-row")
    expect(rows.first).to_be_visible()
    page.get_by_label("Product SKU").fill("acme-weekly")          # any case
    page.get_by_label("Product SKU").press("Enter")
    expect(rows.first).to_contain_text("ACME-WEEKLY")
    expect(rows.filter(has_not_text="ACME-WEEKLY")).to_have_count(0)     # the list as it stands once filtered
    shown = rows.count()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download subscriptions CSV").click()
    with open(download.value.path()) as file:
        lines = file.read().splitlines()
    assert lines[0] == ("receipt,account,sku,title,customer_email,status,next_bill_date,next_amount,currency,"
                        "payments_left")
    assert len(lines) == 1 + shown and all(",ACME-WEEKLY," in line for line in lines[1:])
    page.get_by_role("button", name="Clear").click()
    expect(page.get_by_label("Product SKU")).to_have_value("")


def test_report_access_switch_opens_reports_to_a_clerk(page: Page, browser, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/users")
    page.get_by_role("button", name="Manage permissions of Tina Tickets").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Enabled")).to_be_visible()
    expect(dialog.get_by_label("API integration role: Manage Orders")).to_be_disabled()   # not her role
    dialog.get_by_role("switch", name="Report access").click()
    dialog.get_by_role("button", name="Save permissions").click()
    expect(page.get_by_role("status")).to_contain_text("Permissions of Tina Tickets saved")
    expect(page.get_by_role("row", name=re.compile("Tina Tickets.*Report access"))).to_be_visible()

    clerk = browser.new_context().new_page()
    login(clerk, base_url, "tickets@acme.test", "tickets-demo")
    expect(clerk).to_have_url(f"{base_url}/vendor")
    clerk.get_by_role("link", name="Reports", exact=True).click()
    expect(clerk.get_by_role("heading", name="Subscriptions", exact=True)).to_be_visible()
    expect(clerk.get_by_test_id("refused")).to_have_count(0)
    clerk.context.close()
