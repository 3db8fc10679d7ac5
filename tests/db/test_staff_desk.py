"""The staff desk (R8, R3, R5): phone tickets on the customer's timers after the caller
proves the order, the abuse flag processing a vendor's open requests at once, and the
admin-frequency grant; vendors are refused every one, on SQLite and PostgreSQL."""

from datetime import timedelta

import pendulum
import pytest
from sqlmodel import select

from cbportal.models import Opener, Ticket
from cbportal.services import products, staff_desk, tickets
from cbportal.services.errors import Forbidden, NotFound
from tests import factories

NY = "America/New_York"
WED = pendulum.datetime(2026, 1, 7, 15, tz=NY).in_timezone("UTC")        # Wed 15:00 New York


@pytest.fixture
def desk(session, engine, clock):
    clock.set(WED)
    acct, owner = factories.account(session, WED)
    prod = factories.product(session, WED, owner, acct)
    order = factories.order(session, engine, clock, prod, acct, paid_at=WED - timedelta(days=3))
    session.commit()
    return {"staff": factories.staff(session, WED), "owner": owner, "acct": acct, "order": order}


def test_r3_phone_ticket_runs_on_the_customers_timers(session, desk):
    with pytest.raises(NotFound):        # the caller must know the order's email
        staff_desk.phone_ticket(session, now=WED, actor=desk["staff"], receipt=desk["order"].receipt,
                                email="someone@else.test", type="refund")
    ticket = staff_desk.phone_ticket(session, now=WED, actor=desk["staff"], receipt=desk["order"].receipt.lower(),
                                     email="BUYER@example.test", type="refund", comment="Called in.")
    session.commit()
    assert ticket.opened_by == Opener.STAFF
    assert pendulum.instance(ticket.process_at).in_timezone(NY).format("ddd HH:mm") == "Thu 15:00"  # 24 business h


def test_r3_flag_processes_open_requests_now_and_unflag(session, desk):
    t = tickets.open_ticket(session, now=WED, order=desk["order"], type="refund", who=tickets.CUSTOMER,
                            opener=Opener.CUSTOMER)
    session.commit()
    later = WED + timedelta(hours=1)
    staff_desk.set_abuse_flag(session, now=later, actor=desk["staff"], nickname="acme", flagged=True)
    session.commit()
    session.refresh(t)
    assert t.process_at == later
    assert staff_desk.accounts(session, actor=desk["staff"])[0] | {"time_zone": None} == {
        "nickname": "acme", "flagged": True, "admin_frequencies": False, "open_tickets": 1, "time_zone": None}
    staff_desk.set_abuse_flag(session, now=later, actor=desk["staff"], nickname="acme", flagged=False)
    session.commit()
    assert staff_desk.accounts(session, actor=desk["staff"])[0]["flagged"] is False


def test_r5_admin_frequency_grant(session, desk):
    terms = products.RecurringTerms(995, "month", 6)
    def create(sku):
        products.create_product(session, now=WED, actor=desk["owner"], sku=sku, account="acme", title="Half-yearly",
                                kind="digital", currency="USD", initial_price_cents=995, commission_initial_pct=50,
                                commission_rebill_pct=50, recurring=terms)
    with pytest.raises(Forbidden) as refused:
        create("HALF1")
    assert refused.value.code == "admin_frequency_required"
    session.rollback()
    staff_desk.set_admin_frequencies(session, now=WED, actor=desk["staff"], nickname="acme", granted=True)
    session.commit()
    create("HALF2")
    session.commit()


def test_r8_vendors_cannot_use_the_staff_desk(session, desk):
    owner = desk["owner"]
    for call in (lambda: staff_desk.accounts(session, actor=owner),
                 lambda: staff_desk.phone_ticket(session, now=WED, actor=owner, receipt=desk["order"].receipt,
                                                 email="buyer@example.test", type="refund"),
                 lambda: staff_desk.set_abuse_flag(session, now=WED, actor=owner, nickname="acme", flagged=False),
                 lambda: staff_desk.set_admin_frequencies(session, now=WED, actor=owner, nickname="acme",
                                                          granted=True)):
        with pytest.raises(Forbidden):
            call()
    session.rollback()
    assert session.exec(select(Ticket)).all() == []
    assert staff_desk.accounts(session, actor=desk["staff"])[0]["admin_frequencies"] is False
