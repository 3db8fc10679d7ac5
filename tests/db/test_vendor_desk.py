"""Issue 16 point 7 and point 1 in the services: the Subscriptions list (report access, R8),
the description of an approved product (R5), the permissions page's save, and which pages
and links each role gets (services/accounts/page_access.py), on SQLite and PostgreSQL."""


from datetime import date

import pytest
from sqlmodel import Session, select

from cbportal import routes
from cbportal.models import Order, Product, Role, User, VendorAccount
from cbportal.services.accounts import page_access, users
from cbportal.services.accounts.auth import actor_for
from cbportal.services.billing import products, subscriber_list
from cbportal.services.core.errors import Conflict, Forbidden, Invalid
from tests import factories
from tests.utils.billing import sales_history, utc


@pytest.fixture
def history(shop):
    return sales_history(shop)


def test_subscriptions_list_rows_filters_and_order(history):
    with Session(history["engine"]) as s:
        found = subscriber_list.search(s, actor=history["owner"])
        assert found["total"] == 2
        wk, pro = found["rows"]                   # the soonest next bill first, finished ones last
        assert (wk["sku"], wk["status_text"], wk["next_bill_date"], wk["next_amount_cents"], wk["payments_left"]) \
            == ("WK", "active", "2026-04-13", 300, None)
        assert (pro["sku"], pro["status_text"], pro["next_bill_date"], pro["next_amount_cents"]) \
            == ("PRO", "canceled", "", None)
        assert subscriber_list.search(s, actor=history["owner"], status="canceled")["total"] == 1
        assert [r["sku"] for r in subscriber_list.search(s, actor=history["owner"], sku="wk")["rows"]] == ["WK"]
        assert subscriber_list.search(s, actor=history["owner"], bill_from=date(2026, 4, 13),
                                      bill_to=date(2026, 4, 13))["total"] == 1
        assert subscriber_list.search(s, actor=history["owner"], bill_from=date(2026, 4, 14))["total"] == 0
        with pytest.raises(Invalid):
            subscriber_list.search(s, actor=history["owner"], bill_from=date(2026, 5, 1), bill_to=date(2026, 4, 1))
        with pytest.raises(Invalid):
            subscriber_list.search(s, actor=history["owner"], status="paused")


def test_subscriptions_csv_is_in_currency_units(history):
    with Session(history["engine"]) as s:
        text = subscriber_list.export_csv(s, actor=history["owner"])
        receipts = dict(s.exec(select(Product.sku, Order.receipt).join(Order, Order.product_id == Product.id)).all())
    assert text.splitlines() == [
        "receipt,account,sku,title,customer_email,status,next_bill_date,next_amount,currency,payments_left",
        f"{receipts['WK']},shop,WK,WK,buyer@example.test,active,2026-04-13,3.00,USD,until canceled",
        f"{receipts['PRO']},shop,PRO,PRO,buyer@example.test,canceled,,,USD,until canceled",
    ]


def test_r8_report_access_is_its_own_switch(history):
    now = utc(2026, 4, 10, 12)
    with Session(history["engine"]) as s:
        acct = s.exec(select(VendorAccount)).first()
        orders_only = factories.clerk(s, now, acct, roles=(Role.MANAGE_ORDERS,), email="orders@shop.test")
        reader = factories.clerk(s, now, acct, roles=(Role.REPORT_ACCESS,), email="reports@shop.test")
        with pytest.raises(Forbidden):
            subscriber_list.search(s, actor=orders_only)
        with pytest.raises(Forbidden):
            subscriber_list.export_csv(s, actor=orders_only)
        assert subscriber_list.search(s, actor=reader)["total"] == 2


def test_r5_only_the_description_changes_and_is_checked(history):
    now = utc(2026, 4, 10, 12)
    with Session(history["engine"]) as s:
        product_ = products.update_description(s, now=now, actor=history["owner"], sku="PRO",
                                               description="Line one\nLine two")
        assert (product_.description, product_.status, product_.rebill_price_cents) == (
            "Line one\nLine two", "approved", 995)
        with pytest.raises(Invalid):
            products.update_description(s, now=now, actor=history["owner"], sku="PRO", description="x" * 5001)
        acct = s.exec(select(VendorAccount)).first()
        tickets_only = factories.clerk(s, now, acct, roles=(Role.MANAGE_TICKETS,), email="t@shop.test")
        with pytest.raises(Forbidden):
            products.update_description(s, now=now, actor=tickets_only, sku="PRO", description="forged")


def test_r8_save_permissions_sets_roles_api_roles_and_enabled(history):
    now = utc(2026, 4, 10, 12)
    with Session(history["engine"]) as s:
        acct = s.exec(select(VendorAccount)).first()
        clerk = factories.clerk(s, now, acct, roles=(Role.MANAGE_TICKETS,), email="c@shop.test")
        users.save_permissions(s, now=now, actor=history["owner"], user_id=clerk.user_id, active=True,
                               roles=["manage_tickets", "manage_orders", "report_access"], api_roles=["manage_tickets"])
        row = next(u for u in users.list_users(s, actor=history["owner"]) if u["email"] == "c@shop.test")
        assert (row["roles"], row["api_roles"], row["active"]) == (
            ["manage_orders", "manage_tickets", "report_access"], ["manage_tickets"], True)
        user = s.get(User, clerk.user_id)
        assert actor_for(s, user, via_api=True).roles == frozenset({Role.MANAGE_TICKETS})
        assert actor_for(s, user).roles == frozenset({Role.MANAGE_TICKETS, Role.MANAGE_ORDERS, Role.REPORT_ACCESS})
        with pytest.raises(Invalid):       # R8: Subscription Management needs both other roles
            users.save_permissions(s, now=now, actor=history["owner"], user_id=clerk.user_id, active=True,
                                   roles=["subscription_management"], api_roles=[])
        users.save_permissions(s, now=now, actor=history["owner"], user_id=clerk.user_id, active=False,
                               roles=["manage_tickets"], api_roles=["manage_tickets"])
        assert s.get(User, clerk.user_id).active is False
        owner_id = history["owner"].user_id
        with pytest.raises(Conflict):
            users.save_permissions(s, now=now, actor=history["owner"], user_id=owner_id, active=True, roles=[],
                                   api_roles=[])


def test_an_owners_key_can_be_cut_down_too(history):
    with Session(history["engine"]) as s:
        owner = s.get(User, history["owner"].user_id)
        owner.api_roles = ["manage_tickets"]
        api = actor_for(s, owner, via_api=True)
        assert api.has(Role.MANAGE_TICKETS) and not api.has(Role.MANAGE_ORDERS)
        assert actor_for(s, owner).has(Role.MANAGE_ORDERS)


def test_invited_users_show_invited_until_they_accept(history):
    now = utc(2026, 4, 10, 12)
    with Session(history["engine"]) as s:
        users.add_clerk(s, now=now, actor=history["owner"], email="new@shop.test", name="New", password=None,
                        roles=["manage_tickets"])
        row = next(u for u in users.list_users(s, actor=history["owner"]) if u["email"] == "new@shop.test")
        assert row["invited"] is True
        s.exec(select(User).where(User.email == "new@shop.test")).one().password_hash = "set"
        row = next(u for u in users.list_users(s, actor=history["owner"]) if u["email"] == "new@shop.test")
        assert row["invited"] is False


VENDOR_PAGES = [routes.VENDOR, routes.VENDOR_TICKETS, routes.VENDOR_TICKET, routes.VENDOR_ORDERS,
                routes.VENDOR_PRODUCTS, routes.VENDOR_REPORTS, routes.VENDOR_USERS, routes.VENDOR_SETTINGS]
STAFF_PAGES = [routes.STAFF, routes.STAFF_PHONE, routes.STAFF_EMAILS]


def test_r8_pages_and_links_per_role(history):
    now = utc(2026, 4, 10, 12)
    with Session(history["engine"]) as s:
        acct = s.exec(select(VendorAccount)).first()
        tickets_only = factories.clerk(s, now, acct, roles=(Role.MANAGE_TICKETS,), email="t@shop.test")
        staff = factories.staff(s, now)
    owner = history["owner"]
    opens = lambda actor: [r for r in VENDOR_PAGES + STAFF_PAGES if page_access.may_open(actor, r)]  # noqa: E731
    assert opens(owner) == VENDOR_PAGES
    assert opens(tickets_only) == [routes.VENDOR, routes.VENDOR_TICKETS, routes.VENDOR_TICKET, routes.VENDOR_USERS,
                                   routes.VENDOR_SETTINGS]
    assert opens(staff) == [routes.VENDOR_TICKET, routes.VENDOR_ORDERS] + STAFF_PAGES
    assert opens(None) == []
    assert page_access.nav_links(tickets_only) == [routes.PORTAL, routes.VENDOR, routes.VENDOR_TICKETS,
                                                   routes.VENDOR_USERS + "#keys"]
    assert page_access.nav_links(owner) == [routes.PORTAL, routes.VENDOR, routes.VENDOR_TICKETS, routes.VENDOR_ORDERS,
                                            routes.VENDOR_PRODUCTS, routes.VENDOR_REPORTS, routes.VENDOR_USERS,
                                            routes.VENDOR_SETTINGS]
    assert page_access.nav_links(staff) == STAFF_PAGES
    assert page_access.nav_links(None) == [routes.PORTAL]
    assert page_access.refusal(tickets_only, routes.VENDOR_REPORTS) == (
        "Your login does not have report access, which this page needs. Ask your account owner if you need it.")
    assert page_access.refusal(owner, routes.STAFF) == "This page is for platform staff only."
    assert page_access.refusal(staff, routes.VENDOR) == (
        "This page is for vendor users; you are signed in as platform staff.")
    assert page_access.refusal(owner, routes.VENDOR) == ""
