"""Issue 11 (RULES R3, R7): a prorated refund on a product change leaves the order
`partially_refunded`, not `refunded`, while the subscription stays active; the order view
(pages, API, CSV all read it), the RFND event and the bill agree on the amount."""

import pytest
from sqlmodel import Session, select

from cbportal.models import InsOutbox, Order, VendorAccount
from cbportal.services.billing.orders import order_view
from tests.utils.billing import bills, change_product, monthly_subscription, move, sub_of, utc


@pytest.fixture
def monthly(shop):
    return monthly_subscription(shop)


def test_r7_a_prorated_refund_leaves_the_order_partially_refunded(shop, monthly):
    with Session(shop["engine"]) as s:                 # the vendor listens to INS (R9)
        account = s.get(VendorAccount, shop["account_id"])
        account.ins_url, account.ins_secret = "https://hooks.shop.test/ins", "s3cret"
        s.add(account)
        s.commit()
    move(shop, utc(2026, 6, 15, 12))
    assert change_product(shop, monthly, "PREMIUM") == 1498
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == monthly)).one()
        assert str(order.status) == "partially_refunded"
        view = order_view(s, order)
        assert view["status"] == "partially_refunded"
        assert [(b["seq"], b["status"], b["refunded_cents"]) for b in view["bills"]] == [
            (1, "paid", 0), (2, "paid", 1498)]
        assert [e.payload["amount_cents"] for e in s.exec(select(InsOutbox).where(InsOutbox.event_type == "RFND"))] \
            == [1498]
    assert sub_of(shop, monthly).status == "active"
    assert [b.status for b in bills(shop, monthly)] == ["paid", "paid"]
