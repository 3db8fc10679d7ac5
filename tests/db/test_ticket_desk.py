"""Issue 16 point 2 in the services (services/tickets/desk.py, tickets.close): the vendor's own
5-minute request is canceled without consent and can't be escalated (R3, the seed's "in case
you mistakenly created the ticket"); internal notes are never emailed or shown to the
customer; the thread carries the status history in the account's zone; the customer context;
assignment; canned replies per account. SQLite and PostgreSQL."""


from datetime import timedelta

import pytest
from sqlmodel import select

from cbportal.models import EmailOutbox, Opener, Ticket
from cbportal.services.core.errors import Conflict, Invalid, NotFound
from cbportal.services.delivery.mail import bodies
from cbportal.services.tickets import desk as ticket_desk
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets.lifecycle import CUSTOMER
from tests import factories
from tests.utils.tickets import WED, open_refund, ticket_world, vendor


@pytest.fixture
def world(session, engine, clock):
    return ticket_world(session, engine, clock)


def test_r3_vendor_cancels_its_own_5_minute_request_without_consent(session, world):
    t = tickets.open_ticket(session, now=WED, order=world["order"], type="refund", who=vendor(world),
                            opener=Opener.VENDOR, reason="customer_request")
    session.commit()
    assert t.process_at == WED + timedelta(minutes=5)
    tickets.close(session, now=WED + timedelta(minutes=2), ticket=t, who=vendor(world))
    session.commit()
    assert (t.status, t.close_reason, t.vendor_closed_or_changed) == ("closed", "vendor", False)
    with pytest.raises(Conflict) as refused:
        tickets.escalate(session, now=WED + timedelta(minutes=3), ticket=t, comment="Why?")
    assert refused.value.code == "not_escalatable"


def test_r3_a_customers_request_still_needs_consent_and_becomes_escalatable(session, world):
    t = open_refund(session, world)
    with pytest.raises(Invalid) as refused:
        tickets.close(session, now=WED + timedelta(hours=1), ticket=t, who=vendor(world))
    assert refused.value.code == "customer_consent_required"
    tickets.close(session, now=WED + timedelta(hours=1), ticket=t, who=vendor(world), customer_consent=True)
    assert t.vendor_closed_or_changed is True


def test_internal_notes_are_never_emailed_nor_shown_to_the_customer(session, world):
    t = open_refund(session, world)
    ticket_desk.add_note(session, now=WED + timedelta(minutes=1), actor=world["owner"], ticket_id=t.id,
                         body="Customer called twice; offer the upgrade.")
    session.commit()
    sent_before = len(session.exec(select(EmailOutbox)).all())
    tickets.reply(session, now=WED + timedelta(minutes=2), ticket=t, who=vendor(world), body="Can we help instead?")
    session.commit()
    mails = session.exec(select(EmailOutbox)).all()
    assert len(mails) == sent_before + 2                       # the reply, to both parties; nothing for the note
    assert all("offer the upgrade" not in "".join(bodies(m)) for m in mails)
    customer_view = tickets.ticket_view(session, tickets.customer_ticket(session, ticket_id=t.id,
                                                                         email="buyer@example.test"))
    assert [c["body"] for c in customer_view["comments"]] == ["Please refund.", "Can we help instead?"]
    with pytest.raises(Invalid):
        ticket_desk.add_note(session, now=WED, actor=world["owner"], ticket_id=t.id, body="   ")


def test_the_thread_holds_the_status_history_in_the_accounts_zone(session, world):
    t = open_refund(session, world)
    ticket_desk.add_note(session, now=WED + timedelta(minutes=1), actor=world["owner"], ticket_id=t.id, body="Hm.")
    tickets.change_type(session, now=WED + timedelta(minutes=5), ticket=t, who=CUSTOMER, type="tech_support")
    tickets.close(session, now=WED + timedelta(minutes=9), ticket=t, who=CUSTOMER)
    session.commit()
    rows = ticket_desk.thread(session, actor=world["owner"], ticket_id=t.id)
    assert [(r["kind"], r["body"], r["at"]) for r in rows] == [
        ("status", "Opened as a refund request by the customer.", "2026-01-07 15:00 EST"),
        ("comment", "Please refund.", "2026-01-07 15:00 EST"),
        ("note", "Hm.", "2026-01-07 15:01 EST"),
        ("status", "Changed from refund request to technical support by the customer.", "2026-01-07 15:05 EST"),
        ("status", "Closed by the customer.", "2026-01-07 15:09 EST"),
    ]
    assert rows[2]["who"] == world["owner"].name


def test_customer_context_panel(session, engine, clock, world):
    later = factories.order(session, engine, clock, world["product"], world["acct"], paid_at=WED - timedelta(days=3))
    session.commit()
    first = open_refund(session, world)
    tickets.close(session, now=WED + timedelta(minutes=1), ticket=first, who=CUSTOMER)
    second = tickets.open_ticket(session, now=WED + timedelta(minutes=2), order=later, type="tech_support",
                                 who=CUSTOMER, opener=Opener.CUSTOMER, comment="Login fails")
    session.commit()
    ctx = ticket_desk.context(session, actor=world["owner"], ticket_id=second.id, now=WED + timedelta(minutes=3))
    assert (ctx["customer_name"], ctx["customer_email"], ctx["sku"], ctx["receipt"]) == (
        "Buyer", "buyer@example.test", "PRO", later.receipt)
    assert (ctx["stake"], ctx["stake_note"]) == ("$29.95", "the bill a refund would return")
    assert [o["receipt"] for o in ctx["other_orders"]] == [world["order"].receipt]
    assert [(t["id"], t["type"], t["status"]) for t in ctx["other_tickets"]] == [(first.id, "refund request", "closed")]
    stranger = factories.account(session, WED, nickname="other")[1]
    with pytest.raises(NotFound):
        ticket_desk.context(session, actor=stranger, ticket_id=second.id, now=WED)


def test_assignment_to_a_clerk_with_manage_tickets(session, world):
    t = open_refund(session, world)
    clerk = factories.clerk(session, WED, world["acct"], email="carl@acme.test")
    orders_only = factories.clerk(session, WED, world["acct"], roles=(), email="bare@acme.test")
    assert {u["id"] for u in ticket_desk.assignable(session, actor=world["owner"], ticket_id=t.id)} == {
        world["owner"].user_id, clerk.user_id}
    ticket_desk.assign(session, now=WED + timedelta(minutes=1), actor=world["owner"], ticket_id=t.id,
                       user_id=clerk.user_id)
    session.commit()
    assert session.get(Ticket, t.id).assignee_user_id == clerk.user_id
    assert ticket_desk.thread(session, actor=world["owner"], ticket_id=t.id)[-1]["body"] == (
        f"Assigned to {clerk.name}.")
    with pytest.raises(Invalid):
        ticket_desk.assign(session, now=WED, actor=world["owner"], ticket_id=t.id, user_id=orders_only.user_id)


def test_canned_replies_per_account(session, world):
    owner = world["owner"]
    row = ticket_desk.save_canned_reply(session, now=WED, actor=owner, account="acme", title="Refund policy",
                                        body="Refunds take 5 days.")
    ticket_desk.save_canned_reply(session, now=WED, actor=owner, account="acme", title="Refund policy",
                                  body="Refunds take 3 days.", reply_id=row.id)
    assert ticket_desk.canned_replies(session, actor=owner, account="acme") == [
        {"id": row.id, "title": "Refund policy", "body": "Refunds take 3 days."}]
    with pytest.raises(Conflict):
        ticket_desk.save_canned_reply(session, now=WED, actor=owner, account="acme", title="Refund policy", body="x")
    stranger = factories.account(session, WED, nickname="other")[1]
    with pytest.raises(NotFound):
        ticket_desk.canned_replies(session, actor=stranger, account="acme")
    with pytest.raises(NotFound):
        ticket_desk.save_canned_reply(session, now=WED, actor=stranger, account="other", title="x", body="y",
                                      reply_id=row.id)
