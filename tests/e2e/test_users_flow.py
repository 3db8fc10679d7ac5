"""The owner manages users and API keys in the browser (RULES R8): adds a clerk, is told
that Subscription Management needs Manage Tickets and Manage Orders, saves permissions,
creates an API key that is shown once and works, then revokes it; a clerk without
Manage Users sees only their own keys."""

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.utils.browser import login

pytestmark = pytest.mark.e2e


def api_status(base_url, key, path="/products/ACME-PRO"):
    request = urllib.request.Request(f"{base_url}/api/v1{path}", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request) as r:
            json.loads(r.read())
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_owner_adds_a_clerk_sets_permissions_and_manages_keys(page: Page, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(re.compile("/vendor"))
    page.goto(f"{base_url}/vendor/users")
    expect(page.get_by_role("cell", name="clerk@acme.test")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Nora New")
    page.get_by_label("Email", exact=True).fill("nora@acme.test")
    page.get_by_label("Password (8+ characters; empty: email an invitation)").fill("nora-password")
    page.get_by_label("Manage Tickets").first.check()
    page.get_by_role("button", name="Add clerk").click()
    expect(page.get_by_role("status")).to_contain_text("nora@acme.test can now log in")
    page.get_by_role("button", name="Manage permissions of Nora New").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Role: Subscription Management", exact=True).click()
    # a controlled checkbox: the server answers
    expect(dialog.get_by_label("Role: Subscription Management", exact=True)).to_be_checked()
    dialog.get_by_role("button", name="Save permissions").click()
    expect(dialog.get_by_role("alert")).to_contain_text(
        "Subscription Management needs Manage Tickets and Manage Orders")
    dialog.get_by_label("Role: Manage Orders", exact=True).click()
    expect(dialog.get_by_label("Role: Manage Orders", exact=True)).to_be_checked()
    dialog.get_by_role("button", name="Save permissions").click()
    expect(page.get_by_role("row", name=re.compile("Nora New.*Subscription Management"))).to_be_visible()

    page.get_by_label("Key name").fill("helpdesk")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_role("status").locator("code").inner_text()
    assert key.startswith("cbp_")
    assert api_status(base_url, key) == 200
    page.reload()
    expect(page.get_by_text(key)).to_have_count(0)  # shown once
    page.get_by_role("row", name=re.compile("helpdesk")).get_by_role("button", name="Revoke").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("Key revoked")
    assert api_status(base_url, key) == 401


def test_a_clerk_without_manage_users_sees_only_their_keys(page: Page, base_url):
    login(page, base_url, "tickets@acme.test", "tickets-demo")
    expect(page).to_have_url(re.compile("/vendor"))
    page.goto(f"{base_url}/vendor/users")
    expect(page.get_by_role("heading", name="Your API keys")).to_be_visible()
    expect(page.get_by_role("button", name="Add clerk")).to_have_count(0)
    expect(page.get_by_text("clerk@acme.test")).to_have_count(0)


def test_an_invited_clerk_chooses_a_password_from_the_email(page: Page, browser, base_url, app_server):
    """No password: the clerk is emailed a link (in the mail folder), sets a password once, logs in."""
    import time
    from pathlib import Path

    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(re.compile("/vendor"))
    page.goto(f"{base_url}/vendor/users")
    page.get_by_label("Name", exact=True).fill("Ivy Invited")
    page.get_by_label("Email", exact=True).fill("ivy@acme.test")
    page.get_by_label("Manage Orders").first.check()
    page.get_by_role("button", name="Add clerk").click()
    expect(page.get_by_role("status")).to_contain_text("invitation is on its way to ivy@acme.test")
    expect(page.get_by_role("row", name=re.compile("Ivy Invited")).get_by_text("invited", exact=True)).to_be_visible()

    mail_dir = Path(app_server["env"]["CBPORTAL_VAR_DIR"]) / "mail"
    deadline, link = time.time() + 20, None
    while link is None and time.time() < deadline:
        for path in mail_dir.glob("*-invitation.eml"):
            text = path.read_text()
            if "ivy@acme.test" in text:
                link = re.search(r"(http://\S+/invite\?\S+)", text.replace("=\n", "")).group(1).replace("=3D", "=")
        time.sleep(0.5)
    assert link, "the invitation email was not delivered"

    clerk = browser.new_context().new_page()
    clerk.goto(link)
    expect(clerk.get_by_text("ivy@acme.test")).to_be_visible()
    clerk.get_by_label("New password").fill("ivy-password-1")
    clerk.get_by_label("Repeat password").fill("ivy-password-1")
    clerk.get_by_role("button", name="Set password").click()
    expect(clerk.get_by_role("status")).to_contain_text("Your password is set")
    again = browser.new_context().new_page()             # the link works once, for anyone: it says so on opening
    again.goto(link)
    expect(again.get_by_test_id("invite-unusable")).to_contain_text("already used")
    expect(again.get_by_label("New password")).to_have_count(0)
    again.context.close()
    login(clerk, base_url, "ivy@acme.test", "ivy-password-1")
    expect(clerk).to_have_url(f"{base_url}/vendor")
    clerk.context.close()
