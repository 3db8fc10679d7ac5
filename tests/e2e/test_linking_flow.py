"""Linking a vendor account into a master account in the browser (R8): the owner of one new
account creates a link code behind a confirmation; the owner of another new account links
it with the code; the account then shows on the second owner's dashboard switcher and no
longer on its old owner's. (Two fresh accounts: the demo accounts stay as other tests expect.)"""

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import User
from cbportal.services.accounts import accounts, auth
from tests.utils.browser import app_now, login

pytestmark = pytest.mark.e2e


def test_owner_links_another_account_with_its_code(page: Page, browser: Browser, base_url, app_server):
    now = app_now(base_url)
    with Session(make_engine(app_server["database_url"])) as s:
        staff = auth.actor_for(s, s.exec(select(User).where(User.is_staff)).first())
        for nickname in ("zeta", "theta"):
            accounts.create_account(s, now=now, actor=staff, nickname=nickname, time_zone="Europe/Berlin",
                                    account_email=f"owner@{nickname}.test", owner_password=f"{nickname}-owner-1",
                                    owner_name=nickname.title())
        s.commit()

    zeta = browser.new_context().new_page()
    login(zeta, base_url, "owner@zeta.test", "zeta-owner-1")
    expect(zeta).to_have_url(f"{base_url}/vendor")
    zeta.goto(f"{base_url}/vendor/users")
    zeta.get_by_test_id("linked-row").filter(has_text="zeta").get_by_role("button", name="Get a link code").click()
    expect(zeta.get_by_role("alertdialog")).to_contain_text("stop seeing it")
    zeta.get_by_role("button", name="Create the code").click()
    code = zeta.get_by_test_id("link-code").inner_text()
    assert code.startswith("LINK-")

    login(page, base_url, "owner@theta.test", "theta-owner-1")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/users")
    page.get_by_label("Nickname of the account to link").fill("zeta")
    page.get_by_label("Its link code").fill("LINK-not-the-code")
    page.get_by_role("button", name="Link account").click()
    expect(page.get_by_role("alert")).to_contain_text("No account matches")
    page.get_by_label("Nickname of the account to link").fill("zeta")
    page.get_by_label("Its link code").fill(code)
    page.get_by_role("button", name="Link account").click()
    expect(page.get_by_role("status")).to_contain_text("zeta is now linked")
    expect(page.get_by_test_id("linked-row")).to_have_text(["theta" + "Get a link code", "zeta" + "Get a link code"])

    page.goto(f"{base_url}/vendor")
    expect(page.get_by_role("heading", name="zeta")).to_be_visible()
    page.get_by_label("Account").click()
    expect(page.get_by_role("option")).to_have_text(["All linked accounts", "theta", "zeta"])
    zeta.goto(f"{base_url}/vendor")
    expect(zeta.get_by_text("No vendor accounts are linked to you yet.")).to_be_visible()
    zeta.context.close()
