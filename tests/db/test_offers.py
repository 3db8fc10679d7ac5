"""Order bump and one-click upsell (issue 17 point 2, R1, R3, R5): each item its own
order, bills, subscription, receipt and tickets, charged on the payment details given
once, with the R1 split per item; recurring terms must be confirmed; R8 for the setup."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from cbportal.models import Bill, EmailOutbox, Opener, Order, Subscription
from cbportal.services.billing import checkout, offers
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, NotFound
from cbportal.services.tickets import lifecycle as tickets
from tests import factories
from tests.utils.billing import VISA, move, product, utc

BUYER = checkout.CustomerInput("buyer@example.test", "Buyer", "US")


@pytest.fixture
def offered(shop):
    product(shop, "PRO12", initial=2995, rebill=995, rebills=11)
    product(shop, "BUMP", initial=1000, rebill=500, rebills=5)
    product(shop, "UPS", initial=1995, rebill=1995, rebills=None)
    with Session(shop["engine"]) as s:
        result = offers.set_offers(s, now=shop["clock"].now(), actor=shop["owner"], sku="PRO12", bump_sku="BUMP",
                                   upsell_skus=["UPS"])
        s.commit()
    return result


def gateway(shop):
    return SandboxGateway(shop["engine"], shop["clock"])


def bills_of(shop, receipt):
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        return [(b.seq, b.amount_cents, b.net_cents, b.commission_cents, str(b.status))
                for b in s.exec(select(Bill).where(Bill.order_id == order.id).order_by(Bill.seq))]


def count(shop, model):
    with Session(shop["engine"]) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_r5_each_offer_states_its_recurring_terms(offered):
    assert offered["bump"]["sku"] == "BUMP" and offered["bump"]["today"] == "$10.00 today"
    assert offered["bump"]["terms"] == (
        "Then $5.00 monthly, 5 payments, the first on 5 February 2026. You can cancel at any time.")
    assert [u["sku"] for u in offered["upsells"]] == ["UPS"]
    assert offered["upsells"][0]["terms"].startswith("Then $19.95 monthly, until you cancel")


def test_r1_bump_and_upsell_each_get_their_own_order_bills_and_commission(shop, offered):
    at = utc(2026, 1, 15, 10)
    move(shop, at)
    with pytest.raises(Invalid, match="understand the recurring terms"):
        offers.checkout_with_bump(shop["engine"], now=at, gateway=gateway(shop), sku="PRO12", customer=BUYER,
                                  payment=VISA, bump=True, affiliate="aff1")
    assert count(shop, Order) == 0
    main, bump = offers.checkout_with_bump(shop["engine"], now=at, gateway=gateway(shop), sku="PRO12",
                                           customer=BUYER, payment=VISA, bump=True, understood=True,
                                           affiliate="aff1")
    # R1 per item: $29.95 -> net 26.70, commission 14.69; $10.00 -> net 8.25, commission 4.54.
    assert bills_of(shop, main) == [(1, 2995, 2670, 1469, "paid")]
    assert bills_of(shop, bump) == [(1, 1000, 825, 454, "paid")]
    with pytest.raises(Invalid, match="understand the recurring terms"):
        offers.add_item(shop["engine"], now=at, gateway=gateway(shop), receipt=main, email=BUYER.email, sku="UPS",
                        kind="upsell", understood=False)
    upsell = offers.add_item(shop["engine"], now=at + timedelta(minutes=2), gateway=gateway(shop), receipt=main,
                             email=BUYER.email, sku="UPS", kind="upsell", understood=True)
    assert bills_of(shop, upsell) == [(1, 1995, 1745, 960, "paid")]
    with pytest.raises(Conflict, match="already bought"):
        offers.add_item(shop["engine"], now=at + timedelta(minutes=3), gateway=gateway(shop), receipt=main,
                        email=BUYER.email, sku="UPS", kind="upsell", understood=True)
    with Session(shop["engine"]) as s:
        orders = s.exec(select(Order).order_by(Order.id)).all()
        assert len({o.payment_method_id for o in orders}) == 1 and {o.affiliate for o in orders} == {"aff1"}
        subs = {s.exec(select(Order.receipt).where(Order.id == sub.order_id)).one(): sub.next_bill_date
                for sub in s.exec(select(Subscription))}
        assert subs == {main: date(2026, 2, 15), bump: date(2026, 2, 15), upsell: date(2026, 2, 15)}
        receipts = s.exec(select(EmailOutbox.subject).where(EmailOutbox.kind == "receipt")).all()
        assert sorted(receipts) == sorted(f"Your receipt {r}" for r in (main, bump, upsell))
    # Each item rebills its own price (R1: $5.00 is under $40: net round(5.00 x 90.1%) = 4.51).
    move(shop, utc(2026, 2, 16))
    assert bills_of(shop, bump)[1] == (2, 500, 451, 248, "paid")
    assert bills_of(shop, main)[1] == (2, 995, 896, 493, "paid")
    # R3 per item: a refund ticket on the bump targets the bump's latest bill only.
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == bump)).one()
        ticket = tickets.open_ticket(s, now=utc(2026, 2, 16), order=order, type="refund", who=tickets.CUSTOMER,
                                     opener=Opener.CUSTOMER)
        assert s.get(Bill, ticket.target_bill_id).order_id == order.id
        s.commit()


def test_an_upsell_closes_an_hour_after_the_purchase_and_needs_the_customers_email(shop, offered):
    at = utc(2026, 1, 15, 10)
    move(shop, at)
    [main] = offers.checkout_with_bump(shop["engine"], now=at, gateway=gateway(shop), sku="PRO12", customer=BUYER,
                                       payment=VISA)
    with pytest.raises(NotFound):
        offers.add_item(shop["engine"], now=at, gateway=gateway(shop), receipt=main, email="other@example.test",
                        sku="UPS", kind="upsell", understood=True)
    with pytest.raises(NotFound, match="not offered"):
        offers.add_item(shop["engine"], now=at, gateway=gateway(shop), receipt=main, email=BUYER.email,
                        sku="PRO12", kind="upsell", understood=True)
    with pytest.raises(Conflict, match="has ended"):
        offers.add_item(shop["engine"], now=at + timedelta(minutes=61), gateway=gateway(shop), receipt=main,
                        email=BUYER.email, sku="UPS", kind="upsell", understood=True)
    assert count(shop, Order) == 1


def test_r8_offers_are_set_by_manage_products_within_one_account(shop, offered):
    now = shop["clock"].now()
    with Session(shop["engine"]) as s:
        acct, other_owner = factories.account(s, now, nickname="globex", tz="UTC")
        factories.product(s, now, other_owner, acct, sku="GLOBEX")
        s.commit()
        with pytest.raises(Invalid, match="not a product of shop"):
            offers.set_offers(s, now=now, actor=shop["owner"], sku="PRO12", bump_sku="GLOBEX")
        with pytest.raises((NotFound, Forbidden)):
            offers.set_offers(s, now=now, actor=other_owner, sku="PRO12", bump_sku=None)
        with pytest.raises(Invalid, match="its own checkout"):
            offers.set_offers(s, now=now, actor=shop["owner"], sku="PRO12", upsell_skus=["PRO12"])
        assert offers.set_offers(s, now=now, actor=shop["owner"], sku="PRO12") == {
            "sku": "PRO12", "bump": None, "upsells": []}
