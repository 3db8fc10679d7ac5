"""Reports in a real browser (issue 5): the owner sees four charts drawn from the demo
history and the monthly table, whose MRR matches the services; the CSV downloads; a
tickets-only clerk (no report access) is told so, with a link home."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import User
from cbportal.services.accounts import auth
from cbportal.services.billing import reports
from cbportal.services.core.money import format_cents
from tests.utils.browser import app_now, login

pytestmark = pytest.mark.e2e


def test_owner_sees_charts_and_the_monthly_table(page: Page, base_url, app_server):
    now = app_now(base_url)
    with Session(make_engine(app_server["database_url"])) as s:
        owner = auth.actor_for(s, s.exec(select(User).where(User.email == "owner@acme.test")).one())
        expected = reports.monthly(s, actor=owner, now=now)
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/reports")
    expect(page.get_by_role("figure")).to_have_count(4)
    for figure in page.get_by_role("figure").all():
        expect(figure.locator("svg.recharts-surface").first).to_be_visible()
    expect(page.get_by_test_id("mrr-now")).to_have_text(format_cents(expected[-1]["mrr_cents"]))
    table = page.get_by_test_id("monthly-table")
    expect(table.get_by_role("row")).to_have_count(1 + 12)
    assert sum(r["rebill_cents"] for r in expected) > 0          # the demo has a rebill history to draw
    last = table.get_by_role("row").last
    expect(last).to_contain_text(expected[-1]["month"])
    expect(last).to_contain_text(format_cents(expected[-1]["rebill_cents"]))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download monthly CSV").click()
    text = Path(download.value.path()).read_text()
    assert text.splitlines()[0] == "month,mrr_cents,rebill_cents,refund_cents,saved,processed"
    assert len(text.splitlines()) == 13


def test_a_tickets_only_clerk_is_refused(page: Page, base_url):
    login(page, base_url, "tickets@acme.test", "tickets-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/reports")
    expect(page.get_by_role("alert")).to_contain_text("does not have report access")
    expect(page.get_by_role("link", name="Back to the home page")).to_be_visible()
    expect(page.get_by_role("figure")).to_have_count(0)
