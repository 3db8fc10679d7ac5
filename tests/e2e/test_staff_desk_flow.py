"""The staff desk in a real browser (issue 11, issue 16 point 6; RULES R1, R3, R8):
stuck refunds made through the services (a refund the sandbox refuses for 8 days) are
retried and marked refunded from the page, each behind a dialog, and the order and ticket
change as they should; a product is rejected with a reason the vendor is emailed; the
phone form says what is missing next to each field; the email gallery shows where each
sample comes from; and the staff pages fit a 390 px phone."""

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import (
    AuditLog,
    Bill,
    EmailOutbox,
    Opener,
    Order,
    PaymentAttempt,
    Product,
    Ticket,
    User,
    VendorAccount,
)
from cbportal.services.accounts import auth
from cbportal.services.billing import products
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core.clock import FixedClock
from cbportal.services.delivery.mail import bodies
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets import processing as ticket_processing
from tests import factories
from tests.utils.browser import app_now, login

pytestmark = pytest.mark.e2e
BROKEN_REF = "sbx_charge_987654321"      # no such charge in the sandbox ledger: every refund is refused


def stuck_refund(engine, now, email: str) -> dict:
    """An acme order paid 13 days before `now`, a refund ticket opened 8 days before `now`
    whose refund the sandbox refuses (its charge reference is broken), processed and
    retried until its next try is after `now`: a refund stuck for more than 3 days (R3)."""
    opened = now - timedelta(days=8)
    with Session(engine) as s:
        acme = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
        prod = s.exec(select(Product).where(Product.sku == "ACME-PRO")).one()
        order = factories.order(s, engine, FixedClock(opened), prod, acme, paid_at=opened - timedelta(days=5),
                                email=email)
        paid = s.exec(select(PaymentAttempt).join(Bill, Bill.id == PaymentAttempt.bill_id)
                      .where(Bill.order_id == order.id)).one()
        real_ref, paid.gateway_ref = paid.gateway_ref, BROKEN_REF
        s.add(paid)
        ticket = tickets.open_ticket(s, now=opened, order=order, type="refund", who=tickets.CUSTOMER,
                                     opener=Opener.CUSTOMER, comment="Please refund, I never used it.")
        s.commit()
        facts = {"receipt": order.receipt, "order_id": order.id, "ticket_id": ticket.id, "real_ref": real_ref,
                 "charge_attempt_id": paid.id, "process_at": ticket.process_at}
    gateway = SandboxGateway(engine, FixedClock(now))
    ticket_processing.process_due_tickets(engine, facts["process_at"], gateway=gateway)   # or the app's worker did
    for _ in range(60):
        with Session(engine) as s:
            check_at = s.exec(select(PaymentAttempt.check_at).where(
                PaymentAttempt.ticket_id == facts["ticket_id"], PaymentAttempt.check_at.is_not(None))).first()
        if check_at is not None and check_at > now:
            return facts
        ticket_processing.settle_refunds(engine, now, gateway=gateway, clock=FixedClock(now))
        time.sleep(0.2)
    raise AssertionError("the refund never became stuck")


def money_state(engine, facts) -> tuple:
    with Session(engine) as s:
        t = s.get(Ticket, facts["ticket_id"])
        order = s.get(Order, facts["order_id"])
        return (str(t.status), t.close_reason and str(t.close_reason), t.refund_status and str(t.refund_status),
                str(order.status))


def wait_for(fn, expected, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if fn() == expected:
            return
        time.sleep(0.3)
    assert fn() == expected


def no_horizontal_overflow(page: Page):
    """The page body (everything below the shared navbar) fits the screen: its scroll width,
    and no element in it reaches past the right edge (tables scroll inside their own box).
    The navbar is the shell's (cbportal/components/layout.py), checked by the shell's tests."""
    body, screen, wide = page.evaluate("""() => {
        const c = document.querySelector('.rt-Container');
        const clipped = el => { for (let p = el.parentElement; p && p !== c; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
        const wide = [...c.querySelectorAll('*')].filter(el => el.getBoundingClientRect().right > innerWidth + 1
            && !clipped(el)).slice(0, 3).map(el => el.tagName + ' ' + (el.textContent || '').slice(0, 40));
        return [c.scrollWidth, innerWidth, wide]; }""")
    assert body <= screen and wide == [], f"{page.url}: the body is {body} px wide on a {screen} px screen: {wide}"


def test_stuck_refunds_retried_and_marked_from_the_staff_page(page: Page, base_url, app_server):
    engine = make_engine(app_server["database_url"])
    now = app_now(base_url)
    fixable = stuck_refund(engine, now, "fixable@example.test")
    manual = stuck_refund(engine, now, "manual@example.test")
    assert money_state(engine, fixable) == ("open", None, "pending", "active")

    login(page, base_url, "staff@cbportal.test", "staff-demo")
    expect(page).to_have_url(f"{base_url}/staff")
    rows = page.get_by_test_id("stuck-refund")
    first = rows.filter(has_text=fixable["receipt"])
    expect(first).to_contain_text("$29.95")
    expect(first).to_contain_text("Buyer <fixable@example.test>")
    expect(first).to_contain_text("no such paid charge to refund")
    expect(first).to_contain_text(re.compile(r"Waiting for \d+ days"))
    expect(first).to_contain_text(re.compile(r"\d+ tries"))

    # the gateway can refund it now; "Retry now" asks first, and nothing happens on "Not now"
    with Session(engine) as s:
        paid = s.get(PaymentAttempt, fixable["charge_attempt_id"])
        paid.gateway_ref = fixable["real_ref"]
        s.add(paid)
        s.commit()
    first.get_by_role("button", name="Retry now").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Nothing is marked refunded until the processor confirms it")
    dialog.get_by_role("button", name="Not now").click()
    assert money_state(engine, fixable)[0] == "open"
    first.get_by_role("button", name="Retry now").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Retry the refund").click()
    expect(page.get_by_role("status").filter(has_text="tried again")).to_be_visible()
    wait_for(lambda: money_state(engine, fixable), ("closed", "processed", "succeeded", "refunded"))

    # "Mark refunded" needs a reason, says what happens, and closes the ticket as processed
    second = rows.filter(has_text=manual["receipt"])
    second.get_by_role("button", name="Mark refunded").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("the ticket closes")
    dialog.get_by_role("button", name="Mark refunded").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Say how the money was returned")
    assert money_state(engine, manual)[0] == "open"
    dialog.get_by_label("How the money was returned").fill("Bank transfer on the 3rd, reference 4471")
    dialog.get_by_role("button", name="Mark refunded").click()
    expect(page.get_by_role("status").filter(has_text="Marked refunded")).to_be_visible()
    assert money_state(engine, manual) == ("closed", "processed", "succeeded", "refunded")
    with Session(engine) as s:
        audit = s.exec(select(AuditLog).where(AuditLog.action == "refund.marked_refunded")).one()
        assert audit.detail["reason"] == "Bank transfer on the 3rd, reference 4471"

    page.reload()
    expect(page.get_by_text("No refund is stuck")).to_be_visible()


def test_product_review_phone_form_gallery_and_phone_layout(page: Page, base_url, app_server):
    engine = make_engine(app_server["database_url"])
    now = app_now(base_url)
    with Session(engine) as s:
        owner = auth.actor_for(s, s.exec(select(User).where(User.email == "owner@acme.test")).one())
        products.create_product(s, now=now, actor=owner, sku="E2E-REVIEW", account="acme", title="Review me",
                                description="Weekly tips by email.", kind="digital", currency="USD",
                                initial_price_cents=2995, commission_initial_pct=55, commission_rebill_pct=55,
                                recurring=products.RecurringTerms(995, "month", 1, rebills=11))
        s.commit()
    login(page, base_url, "staff@cbportal.test", "staff-demo")
    card = page.get_by_test_id("product-review").filter(has_text="E2E-REVIEW")
    for words in ("$29.95", "$9.95", "Monthly", "11 rebills after the initial payment", "Weekly tips by email.",
                  "Nothing shipped (digital)", "net $26.70, with an affiliate $14.69 to the affiliate",
                  "$68.92 to an affiliate over the whole term"):
        expect(card).to_contain_text(words)
    card.get_by_role("button", name="Reject").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("The vendor is emailed the reason")
    dialog.get_by_role("button", name="Reject and email the vendor").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Say why the product is rejected")
    dialog.get_by_label("Reason for the vendor").fill("The title does not say what the buyer gets.")
    dialog.get_by_role("button", name="Reject and email the vendor").click()
    expect(page.get_by_role("status").filter(has_text="E2E-REVIEW rejected")).to_be_visible()
    with Session(engine) as s:
        assert s.exec(select(Product.status).where(Product.sku == "E2E-REVIEW")).one() == "rejected"
        mail = s.exec(select(EmailOutbox).where(EmailOutbox.kind == "product_rejected")).one()
        assert mail.to_addr == "owner@acme.test"
        assert "The reason: The title does not say what the buyer gets." in bodies(mail)[0]

    page.goto(f"{base_url}/staff/phone")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_test_id("receipt-error")).to_have_text(
        "Enter the receipt number the caller reads from their receipt.")
    expect(page.get_by_test_id("email-error")).to_have_text("Enter the email address the caller bought with.")

    page.goto(f"{base_url}/staff/emails")
    closed = page.get_by_test_id("email-sample").filter(has_text="ticket_closed")
    expect(closed).to_contain_text(re.compile(r"From ticket #\d+ \([a-z ]+, closed, (customer|vendor)\)"))
    expect(page.get_by_test_id("email-sample")).to_have_count(7)

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/staff", "/staff/phone", "/staff/emails"):
        page.goto(f"{base_url}{path}")
        expect(page.get_by_role("heading").first).to_be_visible()
        page.wait_for_timeout(500)
        no_horizontal_overflow(page)
