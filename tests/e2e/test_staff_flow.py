"""The staff desk in a real browser (R8, R3, R5): a phone ticket for a caller who proves
the order, the admin-frequency grant, and the abuse flag behind a confirmation."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Ticket, VendorAccount
from tests.utils.browser import app_now, login, refundable_order

pytestmark = pytest.mark.e2e


def account(database_url, nickname):
    with Session(make_engine(database_url)) as s:
        return s.exec(select(VendorAccount).where(VendorAccount.nickname == nickname)).one()


def test_staff_phone_ticket_grant_and_flag(page: Page, base_url, app_server):
    db = app_server["database_url"]
    receipt, email = refundable_order(db, app_now(base_url))
    login(page, base_url, "staff@cbportal.test", "staff-demo")
    expect(page).to_have_url(f"{base_url}/staff")

    page.get_by_role("link", name="Open a ticket for a caller").click()
    page.get_by_label("Receipt").fill(receipt)
    page.get_by_label("Customer email").fill("wrong@example.test")
    page.get_by_role("radio", name="Tech support").click()
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("alert")).to_contain_text("No order matches")
    page.get_by_label("Customer email").fill(email)
    page.get_by_label("Note").fill("Caller cannot log in to the members area.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("heading", name=re.compile(r"Ticket #\d+"))).to_be_visible()
    with Session(make_engine(db)) as s:
        ticket = s.exec(select(Ticket).order_by(Ticket.id.desc())).first()
        assert (ticket.opened_by, ticket.type) == ("staff", "tech_support")

    page.goto(f"{base_url}/staff")
    acme = page.get_by_test_id("account-row").filter(has_text="acme")
    switch = acme.get_by_role("switch")
    granted = account(db, "acme").admin_frequencies
    revoked, given = "acme may no longer use admin-controlled", "acme may now use admin-controlled"
    switch.click()
    expect(page.get_by_role("status")).to_contain_text(revoked if granted else given)
    assert account(db, "acme").admin_frequencies is (not granted)
    switch.click()                                       # and back, as the demo had it
    expect(page.get_by_role("status")).to_contain_text(given if granted else revoked)
    assert account(db, "acme").admin_frequencies is granted

    globex = page.get_by_test_id("account-row").filter(has_text="globex")
    if account(db, "globex").abuse_flagged:              # the escalation test may have flagged it
        globex.get_by_role("button", name="Unflag").click()
        expect(globex.get_by_role("button", name="Flag for abuse")).to_be_visible()
    globex.get_by_role("button", name="Flag for abuse").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("process now")
    dialog.get_by_role("button", name="Keep as is").click()
    assert account(db, "globex").abuse_flagged is False   # nothing happens without the confirmation
    globex.get_by_role("button", name="Flag for abuse").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Flag vendor").click()
    expect(globex).to_contain_text("flagged")
    assert account(db, "globex").abuse_flagged is True
    globex.get_by_role("button", name="Unflag").click()
    expect(globex.get_by_role("button", name="Flag for abuse")).to_be_visible()
