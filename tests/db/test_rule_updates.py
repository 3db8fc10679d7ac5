"""The rule changes of issue 17 (RULES R3, R5, R7 as updated), through the services on
SQLite and PostgreSQL: a physical product's cancel ticket, vendor tickets deferred off
weekends, long frequencies behind the admin grant, reinstating after a refund."""

from datetime import date, timedelta

import pendulum
import pytest
from sqlmodel import Session, select

from cbportal.models import Bill, Opener, Order, Subscription, Ticket
from cbportal.services.billing import products, subscriptions
from cbportal.services.core.errors import Conflict, Forbidden
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets.lifecycle import CUSTOMER, Acting
from tests import factories
from tests.utils.billing import bills, buy, move, physical, sub_of, utc

NY = "America/New_York"


def ny(*args):
    return pendulum.datetime(*args, tz=NY).in_timezone("UTC")


def local(instant, tz=NY):
    return pendulum.instance(instant).in_timezone(tz).format("ddd YYYY-MM-DD HH:mm")


def open_ticket(shop, receipt, kind, at, who=CUSTOMER, opener=Opener.CUSTOMER):
    move(shop, at)
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        ticket = tickets.open_ticket(s, now=at, order=order, type=kind, who=who, opener=opener,
                                     reason="customer_request" if who is not CUSTOMER else None)
        s.commit()
        s.refresh(ticket)
        return ticket


ADDRESS = {"name": "B", "line1": "1 Main", "city": "X", "postal_code": "1", "country": "US"}


def test_r3_physical_cancel_is_24_business_hours_so_the_next_rebill_is_not_charged(shop):
    """R3: asked to cancel on Fri Jun 5 -> canceled Mon Jun 8, so the Jun 11 rebill never runs
    (with 19 days it ran and charged the customer)."""
    physical(shop, "BOX", rebill=2000, ship_to=["US"])
    receipt = buy(shop, "BOX", utc(2026, 5, 11, 9), shipping=ADDRESS)
    ticket = open_ticket(shop, receipt, "cancel", utc(2026, 6, 5, 9))
    assert local(ticket.process_at, "UTC") == "Mon 2026-06-08 09:00"
    move(shop, utc(2026, 6, 20))
    assert [(b.scheduled_date, b.status) for b in bills(shop, receipt)] == [(date(2026, 5, 11), "paid")]
    assert sub_of(shop, receipt).status == "canceled"


def test_r3_physical_refund_still_waits_19_days(shop):
    physical(shop, "BOX", rebill=2000, ship_to=["US"])
    receipt = buy(shop, "BOX", utc(2026, 5, 11, 9), shipping=ADDRESS)
    ticket = open_ticket(shop, receipt, "refund", utc(2026, 5, 12, 9))   # Tue + 19 d = Sun May 31 -> Mon Jun 1
    assert local(ticket.process_at, "UTC") == "Mon 2026-06-01 09:00"


def test_r3_clerk_ticket_five_minutes_deferred_off_the_weekend(session, engine, clock):
    """R3 / R2: a clerk's refund opened Saturday 23:58 New York processes Monday 00:03, not Sunday."""
    sat = ny(2026, 1, 10, 23, 58)
    clock.set(sat)
    acct, owner = factories.account(session, sat)
    prod = factories.product(session, sat, owner, acct)
    order = factories.order(session, engine, clock, prod, acct, paid_at=sat - timedelta(days=2))
    clerk = factories.clerk(session, sat, acct)
    ticket = tickets.open_ticket(session, now=sat, order=order, type="refund", who=Acting(tickets.Party.VENDOR, clerk),
                                 opener=Opener.CLERK, reason="customer_request")
    session.commit()
    assert local(ticket.process_at) == "Mon 2026-01-12 00:03"
    why = tickets.ticket_view(session, ticket)["process_why"]
    assert why == "5 minutes after the vendor's request; not on a weekend"


@pytest.mark.parametrize("unit, count, needs_grant", [
    ("week", 25, False), ("week", 26, True), ("week", 52, True),
    ("day", 181, False), ("day", 182, True), ("day", 365, True),
    ("month", 5, False), ("month", 6, True), ("month", 12, True),
])
def test_r5_frequencies_of_six_months_or_longer_need_the_grant(session, unit, count, needs_grant):
    now = ny(2026, 1, 7, 12)
    acct, owner = factories.account(session, now)
    create = lambda sku: products.create_product(  # noqa: E731
        session, now=now, actor=owner, sku=sku, account="acme", title="Long", kind="digital", currency="USD",
        initial_price_cents=995, commission_initial_pct=50, commission_rebill_pct=50,
        recurring=products.RecurringTerms(995, unit, count))
    if needs_grant:
        with pytest.raises(Forbidden) as refused:
            create("LONG1")
        assert refused.value.code == "admin_frequency_required"
        assert "6 months or longer" in str(refused.value)
        acct.admin_frequencies = True
        session.add(acct)
        session.flush()
    product = create("LONG2")
    assert (product.frequency_unit, product.frequency_count) == (unit, count)


def test_r7_a_subscription_canceled_by_a_refund_can_be_reinstated_within_60_days(shop):
    """R7 (updated): whatever canceled it; the refunded bill stays refunded."""
    from tests.utils.billing import product

    product(shop, "MONTHLY", initial=2995, rebill=2995)
    receipt = buy(shop, "MONTHLY", utc(2026, 5, 1, 9))
    move(shop, utc(2026, 6, 2))
    ticket = open_ticket(shop, receipt, "refund", utc(2026, 6, 3, 9))           # Wed -> Thu 09:00
    move(shop, utc(2026, 6, 5))
    with Session(shop["engine"]) as s:
        assert s.get(Ticket, ticket.id).close_reason == "processed"
        sub = s.exec(select(Subscription)).one()
        assert (sub.status, sub.cancel_reason) == ("canceled", "refund")
    june = bills(shop, receipt)[1]
    assert (june.status, june.refunded_cents) == ("refunded", 2995)
    move(shop, utc(2026, 6, 20))
    with Session(shop["engine"]) as s:
        assert subscriptions.options(s, now=shop["clock"].now(), actor=shop["owner"], receipt=receipt)["reinstate"]
        day = subscriptions.reinstate(s, now=shop["clock"].now(), actor=shop["owner"], receipt=receipt)
        s.commit()
    assert day == date(2026, 7, 1)                                 # before the next scheduled payment: it stands
    assert sub_of(shop, receipt).status == "active"
    with Session(shop["engine"]) as s:
        assert s.get(Bill, june.id).status == "refunded"          # a refunded bill stays refunded


def test_r7_refund_cancel_older_than_60_days_is_not_reinstated(shop):
    from tests.utils.billing import product

    product(shop, "MONTHLY", initial=2995, rebill=2995)
    receipt = buy(shop, "MONTHLY", utc(2026, 5, 1, 9))
    open_ticket(shop, receipt, "refund", utc(2026, 5, 4, 9))                      # Mon -> Tue 09:00
    move(shop, utc(2026, 5, 5, 9) + timedelta(days=60, seconds=1))
    with Session(shop["engine"]) as s, pytest.raises(Conflict) as late:
        subscriptions.reinstate(s, now=shop["clock"].now(), actor=shop["owner"], receipt=receipt)
    assert late.value.code == "not_reinstatable"
