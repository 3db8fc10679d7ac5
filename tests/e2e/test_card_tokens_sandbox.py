"""Issue 11 point 5 in sandbox mode (the same page flow as stripe mode): the card goes from
the browser to the sandbox's tokenizer only (the stand-in for Stripe's servers); the order
form's websocket events carry the token, never the card number."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.card_capture import record

pytestmark = pytest.mark.e2e
CARD = "4242424242424242"


def test_sandbox_checkout_sends_only_a_token_to_the_order_form(page: Page, base_url):
    sent = record(page)
    page.goto(f"{base_url}/buy?sku=ACME-EBOOK")
    page.get_by_label("Email").fill("token.buyer@example.test")
    page.get_by_label("Name").fill("Token Buyer")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2030")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay now").click()
    expect(page).to_have_url(re.compile(r"/buy/thanks\?receipt="))
    expect(page.get_by_role("status")).to_contain_text("You paid")
    app = sent.to(base_url)
    assert app.carrying(CARD) == [f"{base_url}/api/v1/sandbox/payment_methods"]   # the tokenizer, once
    assert not [u for u, p in app.frames if "123" in p and "cvc" in p.lower()]
    assert any("sbxpm.card.paid." in p for _, p in app.frames)                     # the token did go


def test_sandbox_offers_direct_debit_only_where_it_is_used(page: Page, base_url):
    page.goto(f"{base_url}/buy?sku=ACME-EBOOK")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("combobox", name="Payment type").click()
    expect(page.get_by_role("option", name="PayPal")).to_be_visible()
    # demo products are priced in dollars: SEPA debits are in euros, so none is offered
    expect(page.get_by_role("option", name=re.compile("SEPA"))).to_have_count(0)


def test_the_form_is_checked_before_the_card_is_confirmed(page: Page, base_url):
    sent = record(page)
    page.goto(f"{base_url}/buy?sku=ACME-EBOOK")
    page.get_by_label("Name").fill("No Email")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2030")
    page.get_by_role("button", name="Pay now").click()
    expect(page.get_by_text("Enter your email address: your receipt and order link go there.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    assert sent.to(base_url).carrying(CARD) == []          # nothing was tokenized
