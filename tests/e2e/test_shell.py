"""The app shell in a real browser: home, vendor login, staff, the customer portal."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Customer, Order
from tests.utils.browser import login

pytestmark = pytest.mark.e2e


def test_home_says_what_the_portal_is(page: Page, base_url):
    page.goto(base_url)
    expect(page.get_by_role("heading", name=re.compile("Support tickets and recurring billing"))).to_be_visible()
    expect(page.get_by_role("link", name="Vendor dashboard").first).to_be_visible()


def test_vendor_logs_in_and_sees_the_shell(page: Page, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    expect(page.get_by_role("heading", name="Vendor dashboard")).to_be_visible()
    expect(page.get_by_role("heading", name="acme")).to_be_visible()
    expect(page.get_by_text("Olivia Owner")).to_be_visible()
    expect(page.get_by_role("heading", name="globex")).to_have_count(0)   # not this user's account
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto(f"{base_url}/vendor")
    expect(page).to_have_url(re.compile(r"/login"))


def test_wrong_password_is_refused(page: Page, base_url):
    login(page, base_url, "owner@acme.test", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")


def test_clerk_is_kept_out_of_staff_area(page: Page, base_url):
    login(page, base_url, "clerk@acme.test", "clerk-demo")
    expect(page.get_by_role("heading", name="Vendor dashboard")).to_be_visible()
    page.goto(f"{base_url}/staff")
    expect(page.get_by_test_id("refused")).to_have_text("This page is for platform staff only.")
    expect(page).to_have_url(re.compile(re.escape(f"{base_url}/staff") + "/?$"))   # said here, not a trip to login
    page.get_by_role("link", name="Back to the home page").click()
    expect(page).to_have_url(f"{base_url}/")


def test_staff_sees_the_approval_queue(page: Page, base_url):
    login(page, base_url, "staff@cbportal.test", "staff-demo")
    expect(page).to_have_url(f"{base_url}/staff")
    expect(page.get_by_test_id("product-review").filter(has_text="ACME-NEW")).to_be_visible()


def test_customer_looks_up_an_order(page: Page, base_url, app_server):
    engine = make_engine(app_server["database_url"])
    with Session(engine) as s:
        order, customer = s.exec(select(Order, Customer).join(Customer, Order.customer_id == Customer.id)).first()
    page.goto(f"{base_url}/portal")
    page.get_by_label("Receipt").fill(order.receipt)
    page.get_by_label("Email").fill("wrong@example.test")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("alert")).to_contain_text("We found no order")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_text(order.receipt, exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Amount")).to_be_visible()
