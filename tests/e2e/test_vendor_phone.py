"""The vendor's and staff's pages on a phone (390×844): nothing reaches past the screen's
right edge (wide tables scroll inside their own box), and ticket types read as words
("tech support"), never their code names."""

import pytest
from playwright.sync_api import Page, expect

from tests.utils.browser import login

pytestmark = pytest.mark.e2e

VENDOR_PAGES = ["/vendor", "/vendor/tickets", "/vendor/orders", "/vendor/products", "/vendor/reports",
                "/vendor/users", "/vendor/settings"]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}}


def fits_the_phone(page: Page) -> None:
    page.wait_for_timeout(800)                     # data and charts settle
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{page.url}: {scroll} px wide in a {inner} px window"


def test_vendor_pages_fit_a_phone_and_name_ticket_types_in_words(page: Page, base_url):
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    for path in VENDOR_PAGES:
        page.goto(base_url + path)
        expect(page.get_by_role("button", name="Log out")).to_be_visible()     # signed in, page shown
        fits_the_phone(page)
    page.goto(base_url + "/vendor/tickets")
    expect(page.locator("table")).to_contain_text("tech support")
    expect(page.locator("table")).not_to_contain_text("tech_support")
