"""Ticket lifecycle and processing (RULES R3, R4) on SQLite and PostgreSQL."""

import threading
from datetime import timedelta

import pendulum
import pytest
from sqlmodel import Session, select

from cbportal.models import (
    AttemptOutcome,
    Bill,
    EmailOutbox,
    Opener,
    PaymentAttempt,
    SandboxCharge,
    Subscription,
    Ticket,
)
from cbportal.services.billing import refunds
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core.clock import StoredClock
from cbportal.services.core.errors import Conflict, Forbidden, Invalid
from cbportal.services.delivery.mail import bodies
from cbportal.services.engine import worker
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets import processing as tp
from cbportal.services.tickets.lifecycle import CUSTOMER
from tests import factories
from tests.utils.tickets import NY, WED, open_refund, ticket_world, vendor


@pytest.fixture
def world(session, engine, clock):
    return ticket_world(session, engine, clock)


def emails(session, kind=None):
    q = select(EmailOutbox).order_by(EmailOutbox.id)
    if kind:
        q = q.where(EmailOutbox.kind == kind)
    return session.exec(q).all()


def test_r3_customer_refund_processes_after_24_business_hours(session, world):
    t = open_refund(session, world)
    assert pendulum.instance(t.process_at).in_timezone(NY).format("ddd HH:mm") == "Thu 15:00"
    assert t.target_bill_id is not None


def test_r4_opening_emails_both_parties(session, world):
    open_refund(session, world)
    assert sorted(e.to_addr for e in emails(session, "ticket_opened")) == ["buyer@example.test", "support@acme.test"]


def test_r3_one_open_ticket_per_order(session, world):
    first = open_refund(session, world)
    with pytest.raises(Conflict, match=f"#{first.id}") as err:
        tickets.open_ticket(session, now=WED, order=world["order"], type="tech_support", who=CUSTOMER,
                            opener=Opener.CUSTOMER)
    assert err.value.code == "ticket_already_open"


def test_r3_refund_windows_60_days_customer_90_vendor(session, world):
    late = WED + timedelta(days=55)           # the bill was paid 65 days before
    with pytest.raises(Conflict) as err:
        tickets.open_ticket(session, now=late, order=world["order"], type="refund", who=CUSTOMER,
                            opener=Opener.CUSTOMER)
    assert err.value.code == "outside_refund_window"
    t = tickets.open_ticket(session, now=late, order=world["order"], type="refund", who=vendor(world),
                            opener=Opener.VENDOR, reason="duplicate_purchase")
    assert t.process_at == late + timedelta(minutes=5)


def test_r3_cancel_needs_an_active_subscription(session, world, engine, clock):
    one_time = factories.product(session, WED, world["owner"], world["acct"], sku="EBOOK", recurring=False)
    o = factories.order(session, engine, clock, one_time, world["acct"], paid_at=WED, email="e@example.test")
    with pytest.raises(Conflict) as err:
        tickets.open_ticket(session, now=WED, order=o, type="cancel", who=CUSTOMER, opener=Opener.CUSTOMER)
    assert err.value.code == "no_active_subscription"


def test_r3_physical_product_19_days_off_weekends(session, world, engine, clock):
    box = factories.product(session, WED, world["owner"], world["acct"], sku="BOX", kind="physical")
    o = factories.order(session, engine, clock, box, world["acct"], paid_at=WED, email="p@example.test")
    sat_open = pendulum.datetime(2026, 1, 10, 11, tz=NY).in_timezone("UTC")   # +19 d = Thu Jan 29
    t = tickets.open_ticket(session, now=sat_open, order=o, type="refund", who=CUSTOMER, opener=Opener.CUSTOMER)
    assert pendulum.instance(t.process_at).in_timezone(NY).format("ddd YYYY-MM-DD HH:mm") == "Thu 2026-01-29 11:00"


def test_r3_vendor_needs_consent_to_close_or_change(session, world):
    t = open_refund(session, world)
    with pytest.raises(Invalid) as err:
        tickets.close(session, now=WED, ticket=t, who=vendor(world))
    assert err.value.code == "customer_consent_required"
    tickets.change_type(session, now=WED + timedelta(hours=1), ticket=t, who=vendor(world), type="tech_support",
                        customer_consent=True)
    assert t.process_at is None and t.inactivity_at is not None and t.vendor_closed_or_changed


def test_r3_change_to_refund_sets_the_timer_afresh(session, world):
    t = tickets.open_ticket(session, now=WED, order=world["order"], type="tech_support", who=CUSTOMER,
                            opener=Opener.CUSTOMER)
    assert t.process_at is None
    later = WED + timedelta(days=1)          # Thu 15:00 -> Fri 15:00
    tickets.change_type(session, now=later, ticket=t, who=CUSTOMER, type="refund")
    assert pendulum.instance(t.process_at).in_timezone(NY).format("ddd HH:mm") == "Fri 15:00"
    assert [e.kind for e in emails(session)].count("ticket_changed") == 2


def test_r3_flagged_vendor_processes_at_once_and_cannot_close(session, world):
    t = open_refund(session, world)
    staff = factories.staff(session, WED)
    tickets.flag(session, now=WED + timedelta(minutes=1), actor=staff, account_id=world["acct"].id)
    session.commit()
    session.refresh(t)
    assert t.process_at == WED + timedelta(minutes=1)
    with pytest.raises(Forbidden):
        tickets.close(session, now=WED, ticket=t, who=vendor(world), customer_consent=True)


def test_r3_escalation_and_staff_refund(session, world, engine, clock):
    t = open_refund(session, world)
    tickets.close(session, now=WED + timedelta(hours=2), ticket=t, who=vendor(world), customer_consent=True)
    tickets.escalate(session, now=WED + timedelta(hours=3), ticket=t, comment="I never agreed to this.")
    staff = factories.staff(session, WED)
    review_at = WED + timedelta(hours=4)
    tickets.review(session, now=review_at, actor=staff, ticket=t, decision="refund", flag_vendor=True)
    session.commit()
    assert t.status == "open" and t.type == "refund" and t.process_at == review_at
    assert tp.process_due_tickets(engine, review_at, gateway=SandboxGateway(engine, clock)) == 1
    with Session(engine) as s:
        assert s.exec(select(Bill).where(Bill.id == t.target_bill_id)).one().status == "refunded"


def test_r3_only_vendor_closed_tickets_escalate(session, world):
    t = open_refund(session, world)
    tickets.close(session, now=WED, ticket=t, who=CUSTOMER)
    with pytest.raises(Conflict):
        tickets.escalate(session, now=WED, ticket=t, comment="hm")


def test_r3_refund_processing_exactly_once_cancels_and_emails(session, world, engine, clock):
    t = open_refund(session, world)
    gateway = SandboxGateway(engine, clock)
    assert tp.process_due_tickets(engine, t.process_at - timedelta(seconds=1), gateway=gateway) == 0
    assert tp.process_due_tickets(engine, t.process_at + timedelta(hours=3), gateway=gateway) == 1
    assert tp.process_due_tickets(engine, t.process_at + timedelta(hours=4), gateway=gateway) == 0
    with Session(engine) as s:
        ticket = s.get(Ticket, t.id)
        assert (ticket.status, ticket.close_reason, ticket.closed_at) == ("closed", "processed", t.process_at)
        assert s.exec(select(Subscription)).one().status == "canceled"
        assert len(s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()) == 1
        bill = s.get(Bill, t.target_bill_id)
        assert (bill.status, bill.refunded_cents) == ("refunded", 2995)
        kinds = sorted(e.kind for e in s.exec(select(EmailOutbox)) if e.kind != "ticket_opened")
        assert kinds == ["refund_confirmation"] * 2 + ["subscription_canceled"] * 2


def test_r3_cancel_ticket_cancels_without_refund(session, world, engine, clock):
    tickets.open_ticket(session, now=WED, order=world["order"], type="cancel", who=vendor(world),
                            opener=Opener.CLERK, reason="customer_request")
    session.commit()
    assert tp.process_due_tickets(engine, WED + timedelta(minutes=5), gateway=SandboxGateway(engine, clock)) == 1
    with Session(engine) as s:
        assert s.exec(select(Subscription)).one().status == "canceled"
        assert s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all() == []
        assert len(s.exec(select(EmailOutbox).where(EmailOutbox.kind == "cancel_confirmation")).all()) == 2


def test_r3_clerk_racing_the_worker_at_the_deadline_gets_a_conflict(session, world, engine, clock):
    t = open_refund(session, world)
    with Session(engine) as page:                    # the clerk's page read the ticket before the deadline
        stale = page.get(Ticket, t.id)
        page.expunge(stale)
    tp.process_due_tickets(engine, t.process_at, gateway=SandboxGateway(engine, clock))
    session.rollback()
    fresh = session.get(Ticket, t.id)
    with pytest.raises(Conflict) as err:
        tickets.close(session, now=fresh.process_at, ticket=fresh, who=vendor(world), customer_consent=True)
    assert err.value.code == "ticket_closed"
    with pytest.raises(Conflict) as err:              # the click that arrives with the stale read loses
        tickets.close(session, now=t.process_at - timedelta(seconds=1), ticket=stale, who=vendor(world),
                      customer_consent=True)
    assert err.value.code == "ticket_conflict"


def test_r6_worker_killed_between_gateway_and_commit_refunds_once(session, world, engine, clock):
    t = open_refund(session, world)

    class CrashAfterRefund(SandboxGateway):
        def refund(self, **kw):
            super().refund(**kw)                       # the money moved...
            raise SystemExit("worker killed")          # ...and the worker died before recording it

    with pytest.raises(SystemExit):
        tp.process_due_tickets(engine, t.process_at, gateway=CrashAfterRefund(engine, clock))
    with Session(engine) as s:
        assert s.exec(select(PaymentAttempt).where(PaymentAttempt.kind == "refund")).one().outcome == "pending"
    gateway = SandboxGateway(engine, clock)
    assert tp.settle_refunds(engine, t.process_at + timedelta(seconds=10), gateway=gateway) == 0  # leased
    assert tp.settle_refunds(engine, t.process_at + refunds.LEASE, gateway=gateway) == 1
    with Session(engine) as s:
        assert len(s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()) == 1
        assert s.exec(select(PaymentAttempt).where(PaymentAttempt.kind == "refund")).one().outcome == "refunded"
        assert len(s.exec(select(EmailOutbox).where(EmailOutbox.kind == "refund_confirmation")).all()) == 2


def test_r3_inactivity_customer_last_on_the_test_clock(session, world, engine, monkeypatch):
    mon = pendulum.datetime(2026, 1, 5, 9, tz=NY).in_timezone("UTC")
    with Session(engine) as s:
        StoredClock.move(s, mon)
        s.commit()
    t = tickets.open_ticket(session, now=mon, order=world["order"], type="tech_support", who=CUSTOMER,
                            opener=Opener.CUSTOMER, comment="Cannot log in")
    session.commit()
    monkeypatch.setattr(worker, "SOURCES", [s for s in worker.all_sources() if s.name == "tickets"])
    worker.advance_test_clock(engine, mon + timedelta(days=8), sources=worker.SOURCES)
    with Session(engine) as s:
        warnings = s.exec(select(EmailOutbox).where(EmailOutbox.kind == "inactivity_warning")).all()
        assert sorted({pendulum.instance(w.created_at).in_timezone(NY).format("ddd HH:mm") for w in warnings}) == \
            ["Fri 09:00", "Wed 09:00"]
        assert len(warnings) == 4          # two warnings, each to both parties
        assert "refund request" in bodies(warnings[0])[0]
        ticket = s.get(Ticket, t.id)
        # +144 h = Sunday 09:00, deferred to Monday 09:00
        assert ticket.close_reason == "inactivity"
        closed_at = pendulum.instance(ticket.closed_at).in_timezone(NY)
        assert closed_at.format("ddd YYYY-MM-DD HH:mm") == "Mon 2026-01-12 09:00"


def test_r3_vendor_reply_switches_to_business_days(session, world):
    t = tickets.open_ticket(session, now=WED, order=world["order"], type="tech_support", who=CUSTOMER,
                            opener=Opener.CUSTOMER)
    tickets.reply(session, now=WED + timedelta(hours=1), ticket=t, who=vendor(world), body="Try resetting it.")
    assert t.last_actor == "vendor"
    # Wed 16:00 + 7 business days = Fri next week 16:00
    assert pendulum.instance(t.inactivity_at).in_timezone(NY).format("ddd YYYY-MM-DD HH:mm") == "Fri 2026-01-16 16:00"


def test_r4_email_escapes_script_and_carries_the_whole_history(session, world):
    t = tickets.open_ticket(session, now=WED, order=world["order"], type="tech_support", who=CUSTOMER,
                            opener=Opener.CUSTOMER, comment="first <b>message</b>")
    tickets.reply(session, now=WED + timedelta(minutes=5), ticket=t, who=vendor(world),
                  body="<script>alert('x')</script>")
    session.commit()
    replies = emails(session, "reply")
    assert sorted(e.to_addr for e in replies) == ["buyer@example.test", "support@acme.test"]
    text, html = bodies(replies[0])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert text.index("first <b>message</b>") < text.rindex("<script>alert('x')</script>")
    customer_copy = next(e for e in replies if e.to_addr == "buyer@example.test")
    assert "sig=" in bodies(customer_copy)[0] and "/portal/ticket?id=" in bodies(customer_copy)[0]
    vendor_copy = next(e for e in replies if e.to_addr == "support@acme.test")
    assert f"/vendor/ticket?id={t.id}" in bodies(vendor_copy)[0] and "sig=" not in bodies(vendor_copy)[0]


def test_two_workers_race_over_the_same_due_tickets(session, world, engine, clock):
    orders = [factories.order(session, engine, clock, world["product"], world["acct"], paid_at=WED,
                              email=f"b{i}@example.test") for i in range(30)]
    for o in orders:
        tickets.open_ticket(session, now=WED, order=o, type="refund", who=vendor(world), opener=Opener.VENDOR)
    session.commit()
    due = WED + timedelta(minutes=5)
    results, errors = [], []

    def run():
        try:
            results.append(tp.process_due_tickets(engine, due, gateway=SandboxGateway(engine, clock)))
        except Exception as exc:          # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert sum(results) == 30
    with Session(engine) as s:
        assert len(s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()) == 30
        assert all(a.outcome == AttemptOutcome.REFUNDED for a in s.exec(
            select(PaymentAttempt).where(PaymentAttempt.kind == "refund")))
