"""Demo data loads on both databases, with what the README promises."""

from datetime import timedelta

from sqlmodel import select

from cbportal.models import Subscription, SubscriptionStatus, Ticket, TicketStatus, Bill
from cbportal.services import auth, demo, money


def test_demo_loads_accounts_logins_orders_and_tickets(session, clock):
    counts = demo.load(session, now=clock.now(), orders_per_account=60)
    session.commit()
    assert counts["accounts"] == 2 and counts["orders"] == 120 and counts["products"] == 10
    for email, password in (demo.STAFF, demo.OWNER, demo.CLERK):
        assert auth.login(session, now=clock.now(), email=email, password=password)
    statuses = {s.status for s in session.exec(select(Subscription))}
    assert {SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELED, SubscriptionStatus.DUNNING} <= statuses
    tickets = session.exec(select(Ticket)).all()
    assert any(t.status == TicketStatus.OPEN and t.process_at and t.process_at > clock.now() for t in tickets)
    assert not demo.is_empty(session)


def test_demo_bills_follow_r1(session, clock):
    demo.load(session, now=clock.now(), orders_per_account=30)
    for bill in session.exec(select(Bill).where(Bill.status == "paid")):
        assert bill.net_cents == money.net_cents(bill.amount_cents, rebill=bill.kind == "rebill")
        assert bill.vendor_cents == bill.net_cents - bill.commission_cents


def test_demo_subscriptions_have_their_timers(session, clock):
    demo.load(session, now=clock.now(), orders_per_account=60)
    for sub in session.exec(select(Subscription)):
        if sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.DUNNING):
            assert sub.next_charge_at is not None and sub.next_charge_at > clock.now() - timedelta(days=3)
        else:
            assert sub.next_charge_at is None
