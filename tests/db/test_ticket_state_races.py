"""The ticket state machine's compare-and-set (RULES R3) on SQLite and PostgreSQL: of two
changes made from the same reading of a ticket, exactly one goes through; the other is
refused in plain words and writes nothing."""

import threading
from datetime import timedelta

import pendulum
import pytest
from sqlmodel import Session, select

from cbportal.models import EmailOutbox, Opener, Party, Ticket, TicketEvent
from cbportal.services.core.errors import Conflict
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets import processing
from cbportal.services.tickets.lifecycle import CUSTOMER, Acting
from tests import factories

WED = pendulum.datetime(2026, 1, 7, 15, tz="America/New_York").in_timezone("UTC")


@pytest.fixture
def ticket_id(session, engine, clock):
    clock.set(WED)
    acct, owner = factories.account(session, WED)
    prod = factories.product(session, WED, owner, acct)
    order = factories.order(session, engine, clock, prod, acct, paid_at=WED - timedelta(days=10))
    ticket = tickets.open_ticket(session, now=WED, order=order, type="refund", who=CUSTOMER, opener=Opener.CUSTOMER)
    session.commit()
    return {"id": ticket.id, "owner": owner}


def reading(engine, ticket_id) -> Ticket:
    """The ticket as a page or API call read it, before anything else changed it."""
    with Session(engine) as s:
        ticket = s.get(Ticket, ticket_id)
        s.expunge(ticket)
        return ticket


def closes(engine, ticket_id):
    with Session(engine) as s:
        return s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                TicketEvent.kind == "closed")).all()


def test_r3_of_two_closes_from_the_same_reading_one_wins(engine, ticket_id):
    vendor = Acting(Party.VENDOR, ticket_id["owner"])
    a, b = reading(engine, ticket_id["id"]), reading(engine, ticket_id["id"])
    with Session(engine) as first:
        first.add(a)
        tickets.close(first, now=WED + timedelta(hours=1), ticket=a, who=CUSTOMER)
        first.commit()
    with Session(engine) as second, pytest.raises(Conflict) as lost:
        second.add(b)
        tickets.close(second, now=WED + timedelta(hours=1), ticket=b, who=vendor, customer_consent=True)
    assert lost.value.code == "ticket_conflict"
    assert lost.value.message == f"ticket #{ticket_id['id']} changed meanwhile; reload it"
    [event] = closes(engine, ticket_id["id"])
    assert event.actor == Party.CUSTOMER
    with Session(engine) as s:
        ticket = s.get(Ticket, ticket_id["id"])
        assert (str(ticket.status), str(ticket.close_reason)) == ("closed", "customer")
        assert len(s.exec(select(EmailOutbox).where(EmailOutbox.kind == "ticket_closed")).all()) == 2


def test_r3_two_concurrent_closes_one_wins(engine, ticket_id):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the interleaved test above covers it")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def close(who, consent):
        with Session(engine) as s:
            ticket = s.get(Ticket, ticket_id["id"])
            start.wait()
            try:
                tickets.close(s, now=WED + timedelta(hours=1), ticket=ticket, who=who, customer_consent=consent)
                s.commit()
                outcomes.append("closed")
            except Conflict as refused:
                s.rollback()
                outcomes.append(refused.code)

    threads = [threading.Thread(target=close, args=(CUSTOMER, False)),
               threading.Thread(target=close, args=(Acting(Party.VENDOR, ticket_id["owner"]), True))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["closed", "ticket_conflict"]
    assert len(closes(engine, ticket_id["id"])) == 1


def test_r3_a_close_read_before_processing_loses_to_the_worker(engine, ticket_id):
    stale = reading(engine, ticket_id["id"])
    due = stale.process_at
    assert processing.process_due_tickets(engine, due) == 1
    with Session(engine) as s, pytest.raises(Conflict) as lost:
        s.add(stale)
        tickets.close(s, now=due - timedelta(minutes=1), ticket=stale, who=CUSTOMER)
    assert lost.value.code == "ticket_conflict"
    assert closes(engine, ticket_id["id"]) == []


def test_r3_after_process_at_nobody_closes_and_the_refusal_is_named(engine, ticket_id):
    with Session(engine) as s:
        ticket = s.get(Ticket, ticket_id["id"])
        with pytest.raises(Conflict) as refused:
            tickets.close(s, now=ticket.process_at, ticket=ticket, who=CUSTOMER)
    assert (refused.value.code, refused.value.message) == (
        "ticket_processing", f"ticket #{ticket_id['id']} is being processed now")


def test_r3_of_two_escalations_from_the_same_reading_one_wins(engine, ticket_id):
    vendor = Acting(Party.VENDOR, ticket_id["owner"])
    with Session(engine) as s:
        tickets.close(s, now=WED + timedelta(hours=1), ticket=s.get(Ticket, ticket_id["id"]), who=vendor,
                      customer_consent=True)
        s.commit()
    a, b = reading(engine, ticket_id["id"]), reading(engine, ticket_id["id"])
    with Session(engine) as first:
        first.add(a)
        tickets.escalate(first, now=WED + timedelta(hours=2), ticket=a, comment="They never asked me.")
        first.commit()
    with Session(engine) as second, pytest.raises(Conflict) as lost:
        second.add(b)
        tickets.escalate(second, now=WED + timedelta(hours=2), ticket=b, comment="Again.")
    assert lost.value.code == "ticket_conflict"
    with Session(engine) as s:
        assert len(s.exec(select(TicketEvent).where(TicketEvent.kind == "escalated")).all()) == 1
