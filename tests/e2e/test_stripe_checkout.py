"""Issue 11 point 5 in `stripe` mode, in Chromium, with no network: the app runs with
CBPORTAL_PAYMENTS=stripe against a localstripe started here, and the pages load
localstripe's Stripe.js stand-in (`/js.stripe.com/v3/` on its port). A buyer pays with a
card typed into the Stripe Element; the card number goes to localstripe only, never in any
request or websocket frame to the app. The card-update page works the same way.

This app has its own frontend build (its URL is compiled in), so it builds in its own
web folder (REFLEX_WEB_WORKDIR) next to the session's sandbox app."""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Customer, Order, PaymentMethod
from cbportal.services.delivery import links
from tests.e2e.card_capture import record
from tests.e2e.server import ROOT, app_env, running_app
from tests.localstripe import PUBLISHABLE_KEY, SECRET_KEY, running_localstripe

pytestmark = pytest.mark.e2e
CARD = "4242424242424242"


@pytest.fixture(scope="module")
def stripe_app(tmp_path_factory):
    var = tmp_path_factory.mktemp("stripe-var")
    web = var / "web"
    if (ROOT / ".web" / "node_modules").is_dir():     # reuse the installed packages (hard links), build anew
        web.mkdir()
        subprocess.run(["cp", "-al", str(ROOT / ".web" / "node_modules"), str(web / "node_modules")], check=True)
        for item in (ROOT / ".web").iterdir():
            if item.name not in ("node_modules", "build", ".react-router"):
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, web / item.name)
    with running_localstripe() as stripe_base:
        env = app_env(var, f"sqlite:///{var / 'stripe.db'}", CBPORTAL_PAYMENTS="stripe", STRIPE_API_KEY=SECRET_KEY,
                      STRIPE_API_BASE=stripe_base, STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
                      STRIPE_JS_URL=f"{stripe_base}/js.stripe.com/v3/", CBPORTAL_WORKER="0",
                      REFLEX_WEB_WORKDIR=str(web))
        with running_app(env, var):
            yield {"url": env["CBPORTAL_BASE_URL"], "stripe": stripe_base, "var": var}


@pytest.fixture
def browser_context_args():
    """Not the session's sandbox app (pytest-playwright's default asks for `base_url`)."""
    return {}


def fill_stripe_card(page: Page, number: str = CARD):
    """localstripe's card Element: plain inputs named by their placeholders."""
    card = page.locator("[data-cbp-card]")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")


def test_stripe_checkout_card_never_reaches_the_app(page: Page, stripe_app):
    base = stripe_app["url"]
    sent = record(page)
    page.goto(f"{base}/buy?sku=ACME-PRO")
    expect(page.get_by_role("heading", name="$29.95 today")).to_be_visible()
    page.get_by_label("Email").fill("stripe.buyer@example.test")
    page.get_by_label("Name").fill("Stripe Buyer")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("combobox", name="Payment type").click()
    expect(page.get_by_role("option", name="Card")).to_be_visible()
    expect(page.get_by_role("option", name="PayPal")).to_have_count(0)      # Stripe does not collect PayPal
    page.keyboard.press("Escape")
    fill_stripe_card(page)
    page.get_by_role("button", name="Pay now").click()
    expect(page).to_have_url(re.compile(r"/buy/thanks\?receipt="), timeout=20_000)
    expect(page.get_by_role("status")).to_contain_text("You paid $29.95.")
    assert sent.to(base).carrying(CARD) == []                               # not in any request or frame
    assert sent.to(stripe_app["stripe"]).carrying(CARD) != []               # it went to "Stripe" instead
    assert any(re.search(r'"pm_\w+"', p) for _, p in sent.to(base).frames)  # the token did go to the app


def test_stripe_card_refused_by_stripe_is_shown(page: Page, stripe_app):
    page.goto(f"{stripe_app['url']}/buy?sku=ACME-EBOOK")
    page.get_by_label("Email").fill("refused@example.test")
    page.get_by_label("Name").fill("Refused")
    page.get_by_label("Country").select_option("US")
    fill_stripe_card(page, "4000000000000069")
    page.get_by_role("button", name="Pay now").click()
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")


def test_stripe_card_update_page(page: Page, stripe_app):
    """Uses the order the first test bought (this module's app, in order)."""
    engine = make_engine(f"sqlite:///{stripe_app['var'] / 'stripe.db'}")
    with Session(engine) as s:
        order, customer = s.exec(select(Order, Customer).join(Customer, Customer.id == Order.customer_id)
                                 .where(Customer.email == "stripe.buyer@example.test")).one()
        receipt, old_method = order.receipt, order.payment_method_id
    secret = (stripe_app["var"] / "secret.key").read_text().strip()
    sent = record(page)
    page.goto(links.card_update_url(stripe_app["url"], secret, receipt, "stripe.buyer@example.test"))
    expect(page.get_by_role("heading", name="Update your card")).to_be_visible()
    fill_stripe_card(page, "5555555555554444")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("status")).to_contain_text("Your new card is saved")
    assert sent.to(stripe_app["url"]).carrying("5555555555554444") == []
    with Session(engine) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        method = s.get(PaymentMethod, order.payment_method_id)
        assert order.payment_method_id != old_method
        assert (method.gateway, method.last4, method.gateway_method_ref[:3]) == ("stripe", "4444", "pm_")
