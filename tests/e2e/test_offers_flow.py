"""Order bump and one-click upsell in the browser (issue 17 point 2): each item's
recurring terms beside it, the confirmation required, each item its own order with its
own R1 figures (R1, R5)."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import Bill, Customer, Order, Product, User
from cbportal.services.accounts import auth
from cbportal.services.billing import offers, products

pytestmark = pytest.mark.e2e
EMAIL = "bumpbuyer@example.test"


@pytest.fixture(scope="module")
def offered(app_server):
    engine = make_engine(app_server["database_url"])
    with Session(engine) as s:
        staff = auth.actor_for(s, s.exec(select(User).where(User.is_staff)).first())
        owner = auth.actor_for(s, s.exec(select(User).where(User.email == "owner@acme.test")).one())
        now = s.exec(select(Product.created_at)).first()
        for sku, title, initial, rebill, count in (("ACME-BASE", "ACME Base", 2995, 995, 11),
                                                   ("ACME-ADDON", "ACME Add-on", 1000, 500, 5),
                                                   ("ACME-COACH", "ACME Coaching", 1995, 1995, None)):
            products.create_product(s, now=now, actor=owner, sku=sku, account="acme", title=title, kind="digital",
                                    currency="USD", initial_price_cents=initial, commission_initial_pct=55,
                                    commission_rebill_pct=55,
                                    recurring=products.RecurringTerms(rebill, "month", 1, rebills=count))
            products.decide_product(s, now=now, actor=staff, sku=sku, approve=True)
        offers.set_offers(s, now=now, actor=owner, sku="ACME-BASE", bump_sku="ACME-ADDON", upsell_skus=["ACME-COACH"])
        s.commit()
    yield engine
    engine.dispose()


def pay(page: Page):
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("2030")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay now").click()


def test_r1_bump_and_upsell_each_with_terms_confirmation_and_figures(page: Page, base_url, offered):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/buy?sku=ACME-BASE&aff=topaff")
    bump = page.get_by_test_id("order-bump")
    expect(bump).to_contain_text("Add to your order: ACME Add-on — $10.00 today")
    expect(bump).to_contain_text(re.compile(r"Then \$5\.00 monthly, 5 payments, the first on"))
    # The bump box itself fits a phone (the shared navbar's own width is not this test's subject).
    assert bump.evaluate("el => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().right <= 390")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Name").fill("Bump Buyer")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Yes, add ACME Add-on").check()
    pay(page)
    expect(page.get_by_role("alert")).to_contain_text("understand the recurring terms")
    page.get_by_label("I understand the recurring terms of the added item").check()
    pay(page)
    expect(page).to_have_url(re.compile(r"/buy/more\?receipt="))
    expect(page.get_by_role("note")).to_contain_text(re.compile(r"Then \$19\.95 monthly, until you cancel"))
    page.get_by_role("button", name="Add ACME Coaching with one click").click()
    expect(page.get_by_role("alert")).to_contain_text("understand the recurring terms")
    page.get_by_label("I understand the recurring terms").check()
    page.get_by_role("button", name="Add ACME Coaching with one click").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"ACME Coaching was added: order [A-Z0-9]{8}\."))

    with Session(offered) as s:
        rows = s.exec(select(Product.sku, Order.affiliate, Bill.amount_cents, Bill.net_cents, Bill.commission_cents,
                             Bill.status).join(Order, Order.product_id == Product.id)
                      .join(Bill, Bill.order_id == Order.id).join(Customer, Customer.id == Order.customer_id)
                      .where(Customer.email == EMAIL).order_by(Order.id, Bill.seq)).all()
    # R1 per item: net = round(price x 92.5%) - $1.00, commission = round(net x 55%).
    assert [tuple(str(v) for v in r) for r in rows] == [
        ("ACME-BASE", "topaff", "2995", "2670", "1469", "paid"),
        ("ACME-ADDON", "topaff", "1000", "825", "454", "paid"),
        ("ACME-COACH", "topaff", "1995", "1745", "960", "paid")]
