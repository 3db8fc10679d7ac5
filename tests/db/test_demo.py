"""Demo data loads on both databases, with what the README promises."""

from datetime import timedelta

from sqlmodel import select

from cbportal.models import Bill, Subscription, SubscriptionStatus, Ticket, TicketStatus
from cbportal.services.accounts import auth
from cbportal.services.core import money
from cbportal.services.engine import demo


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


def test_demo_money_tells_the_truth_everywhere(session, clock):
    """Every processed refund ticket has its refunded bill, attempt and ledger entry, so the
    dashboard, the reports, the order window and the API agree (the money-truth issue)."""
    from cbportal.models import AttemptOutcome, CloseReason, Order, PaymentAttempt, SandboxCharge, TicketType, User
    from cbportal.services.billing import orders, reports
    from cbportal.services.tickets import board as ticket_board

    demo.load(session, now=clock.now(), orders_per_account=80)
    session.commit()
    processed = session.exec(select(Ticket).where(Ticket.type == TicketType.REFUND,
                                                  Ticket.close_reason == CloseReason.PROCESSED)).all()
    refunded = session.exec(select(PaymentAttempt).where(PaymentAttempt.kind == "refund",
                                                         PaymentAttempt.outcome == AttemptOutcome.REFUNDED)).all()
    assert len(processed) >= 5
    assert sorted(a.ticket_id for a in refunded) == sorted(t.id for t in processed)
    for ticket in processed:
        bill = session.get(Bill, ticket.target_bill_id)
        assert (bill.status, bill.refunded_cents, str(ticket.refund_status)) == ("refunded", bill.amount_cents,
                                                                                  "succeeded")
        view = orders.order_view(session, session.get(Order, ticket.order_id))
        assert view["status"] == "refunded" and view["refund_pending_cents"] == 0
        sub = session.exec(select(Subscription).where(Subscription.order_id == ticket.order_id)).first()
        assert sub is None or sub.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.COMPLETED)
    ledger = session.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()
    assert sum(r.amount_cents for r in ledger) == sum(a.amount_cents for a in refunded) == sum(
        b.refunded_cents for b in session.exec(select(Bill)))
    owner = auth.actor_for(session, session.exec(select(User).where(User.email == demo.OWNER[0])).one())
    acme_refunds = sum(r["refund_cents"] for r in reports.monthly(session, actor=owner, now=clock.now(),
                                                                  account="acme"))
    acme_processed = [t for t in processed if session.get(Order, t.order_id).account_id == owner_account(session)]
    assert acme_refunds == sum(a.amount_cents for a in refunded if a.ticket_id in {t.id for t in acme_processed})
    board = ticket_board.sale_outcomes(session, [owner_account(session)], clock.now() - timedelta(days=400))[None]
    processed_cancels = session.exec(select(Ticket).where(Ticket.type == TicketType.CANCEL,
                                                          Ticket.close_reason == CloseReason.PROCESSED,
                                                          Ticket.account_id == owner_account(session))).all()
    assert board["processed"] == len(acme_processed) + len(processed_cancels)


def owner_account(session):
    from cbportal.models import VendorAccount

    return session.exec(select(VendorAccount.id).where(VendorAccount.nickname == "acme")).one()
