"""The customer's side in real browsers (issue 15), on a phone (390x844) and a desktop
(1366x900): checkout -> confirmation -> order page -> ticket page, none of them wider than
the screen (`scrollWidth <= innerWidth`), the navigation folded into a menu button on the
phone and without vendor or staff links; errors next to their fields; the ticket page live
(a vendor reply, a type change, processing at the countdown's end appear without a reload).
Screenshots go to docs/screenshots/ (phone-*.png, desktop-*.png)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Order, Party, Ticket, User
from cbportal.services.accounts import auth
from cbportal.services.tickets import lifecycle as tickets
from tests.utils.browser import app_now, move_clock, refundable_order

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
VENDOR_LINKS = ("Vendor dashboard", "Transactions", "Reports", "Users", "Settings", "Staff")


@pytest.fixture
def browser_context_args(browser_context_args):
    """The customer's browser is in Berlin: the ticket page shows times there and says so."""
    return {**browser_context_args, "timezone_id": "Europe/Berlin"}


def fits(page: Page, name: str, size: str) -> None:
    """No horizontal overflow, then a full-page screenshot for the docs."""
    page.wait_for_timeout(300)                       # fonts and the card fields settle
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{name} at {size}: {scroll} px wide in a {inner} px window"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{size}-{name}.png"), full_page=True)


def no_vendor_navigation(page: Page, size: str) -> None:
    if size == "phone":
        expect(page.get_by_role("link", name="Find your order")).to_be_hidden()
        page.get_by_role("button", name="Menu").click()
        expect(page.get_by_role("menuitem", name="Find your order")).to_be_visible()
        for name in VENDOR_LINKS:
            expect(page.get_by_role("menuitem", name=name)).to_have_count(0)
        page.keyboard.press("Escape")
    else:
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(page.get_by_role("link", name="Find your order")).to_be_visible()
    for name in VENDOR_LINKS:
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_checkout_confirmation_order_and_ticket_fit_the_screen(page: Page, base_url, size):
    page.set_viewport_size(SIZES[size])
    page.clock.install(time=app_now(base_url))          # the countdown ticks on the app's test clock
    page.goto(f"{base_url}/portal")
    expect(page.get_by_role("heading", name="Find your order")).to_be_visible()
    no_vendor_navigation(page, size)
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_text("Enter the receipt number from your purchase email.")).to_be_visible()
    expect(page.get_by_label("Receipt number")).to_have_attribute("aria-invalid", "true")
    fits(page, "portal", size)

    page.goto(f"{base_url}/buy?sku=ACME-PRO&aff=topaff")
    expect(page.get_by_role("heading", name="$29.95 today")).to_be_visible()
    no_vendor_navigation(page, size)
    page.get_by_role("button", name="Pay now").click()           # errors next to their fields, in words
    expect(page.get_by_text("Enter your email address: your receipt and order link go there.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Choose the country you live in.")).to_be_visible()
    number = page.get_by_label("Card number")
    expect(number).to_have_attribute("autocomplete", "cc-number")
    expect(number).to_have_attribute("inputmode", "numeric")
    number.fill("4242424242424242")
    expect(number).to_have_value("4242 4242 4242 4242")     # grouped as typed
    email = f"{size}-buyer@example.test"
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill("Pat Phone")
    page.get_by_label("Country").select_option(label="Germany")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2030")
    page.get_by_label("CVC").fill("123")
    fits(page, "checkout", size)
    page.get_by_role("button", name="Pay now").click()

    expect(page).to_have_url(re.compile(r"/buy/thanks\?receipt="))
    expect(page.get_by_role("heading", name="Thank you: your order is placed")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You paid $29.95.")
    expect(page.get_by_text(re.compile(r"^\$9\.95 on \d+ \w+ \d{4}$"))).to_be_visible()
    expect(page.get_by_text("Need help, a refund or to cancel? Open a ticket on your order page")).to_be_visible()
    no_vendor_navigation(page, size)
    fits(page, "confirmation", size)

    page.get_by_role("link", name="Go to your order page").click()
    expect(page.get_by_text("Active: $9.95 monthly. 11 payments left.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"1 First payment .* \$29\.95 paid"))).to_be_visible()
    expect(page.get_by_role("link", name="Update your card")).to_be_visible()
    fits(page, "order", size)
    view = page.request.get(base_url + page.get_by_role("link", name="Receipt: print view").get_attribute("href"))
    assert view.status == 200 and "Payment</th><td>First payment" in view.text()
    pdf = page.request.get(base_url + page.get_by_role("link", name="Receipt PDF").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"

    page.get_by_role("radio", name="Refund").click()
    expect(page.get_by_text("refunded after 24 business hours")).to_be_visible()
    expect(page.get_by_text("physical")).to_have_count(0)        # a digital product's words
    page.get_by_label("Your message to the vendor").fill("The course does not open on my phone.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("heading", name=re.compile(r"Refund request #\d+"))).to_be_visible()
    expect(page.get_by_text("You opened this ticket as a refund request.")).to_be_visible()
    expect(page.get_by_text("Times are in your time zone (Europe/Berlin).")).to_be_visible()
    expect(page.get_by_role("timer")).to_contain_text("Refund in")
    fits(page, "ticket", size)

    page.get_by_role("button", name="Withdraw: change to technical support").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("nothing will be refunded")
    expect(dialog).to_contain_text("waits the full 24 business hours again")
    dialog.get_by_role("button", name="Keep it as it is").click()
    expect(page.get_by_role("timer")).to_contain_text("Refund in")          # nothing changed


def test_the_customer_ticket_page_is_live(page: Page, base_url, app_server):
    """The vendor replies and changes the type from another process (here, through the
    services); the customer turns it back into a refund; the test clock passes the countdown
    and the worker processes it: each shows on the open page without a reload."""
    now = app_now(base_url)
    receipt, email = refundable_order(app_server["database_url"], now)
    engine = make_engine(app_server["database_url"])
    page.clock.install(time=now)
    page.goto(f"{base_url}/portal")
    page.get_by_label("Receipt number").fill(receipt)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("radio", name="Refund").click()
    page.get_by_label("Your message to the vendor").fill("Please refund me.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_text("Updates appear here as they happen.")).to_be_visible()
    ticket_id = int(re.search(r"id=(\d+)", page.url).group(1))

    with Session(engine) as s:
        owner = auth.actor_for(s, s.exec(select(User).where(User.email == "owner@acme.test")).one())
        vendor = tickets.Acting(Party.VENDOR, owner)
        tickets.reply(s, now=now, ticket=tickets.get_ticket(s, ticket_id), who=vendor,
                      body="Have you tried the app instead?")
        s.commit()
    expect(page.get_by_text("Have you tried the app instead?")).to_be_visible(timeout=10_000)
    with Session(engine) as s:
        tickets.change_type(s, now=now, ticket=tickets.get_ticket(s, ticket_id), who=vendor, type="tech_support",
                            customer_consent=True)
        s.commit()
    expect(page.get_by_text("The vendor changed this ticket from a refund request to a technical support ticket. "
                            "The vendor says you agreed to this.")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("timer")).to_have_count(0)
    expect(page.get_by_role("heading", name=re.compile(r"Technical support #\d+"))).to_be_visible()

    page.get_by_role("button", name="Change to a refund request").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Ask for a refund").click()
    expect(page.get_by_role("timer")).to_contain_text("Refund in")
    with Session(engine) as s:
        due = s.get(Ticket, ticket_id).process_at
    move_clock(base_url, due + timedelta(minutes=1))
    expect(page.get_by_text(re.compile(r"This ticket is closed: it was processed\."))).to_be_visible(timeout=15_000)
    expect(page.get_by_text("The refund has gone through.")).to_be_visible()
    expect(page.get_by_role("link", name="Go to your order")).to_be_visible()
    with Session(engine) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        assert s.get(Ticket, ticket_id).close_reason == "processed"
        assert order.status in ("refunded", "partially_refunded")


def test_my_orders_link_by_email_then_the_list(page: Page, base_url, app_server):
    """"Email me the link" on the portal; the emailed signed link lists every order of the address."""
    import email
    import time
    from email import policy

    page.set_viewport_size(SIZES["phone"])
    page.goto(f"{base_url}/portal")
    page.get_by_label("Send the link to").fill("phone-buyer@example.test")
    page.get_by_role("button", name="Email me the link").click()
    expect(page.get_by_role("status")).to_contain_text("If we have orders for this address, we have just emailed")
    mail_dir = Path(app_server["env"]["CBPORTAL_VAR_DIR"]) / "mail"
    deadline, found = time.time() + 20, []
    while time.time() < deadline and not found:
        found = [p for p in mail_dir.glob("*-my_orders.eml")
                 if "phone-buyer@example.test" in email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"]]
        time.sleep(0.5)
    assert found, "no my-orders email"
    message = email.message_from_bytes(found[0].read_bytes(), policy=policy.default)
    link = re.search(r"See all your orders: (\S+)", message.get_body(("plain",)).get_content()).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Open order [A-Z0-9]{8}"))).to_have_count(1)
    fits(page, "my-orders", "phone")
    page.goto(link.replace("sig=", "sig=0"))
    expect(page.get_by_role("alert")).to_contain_text("This link is not valid.")
