"""Money truth (RULES R3, R4, R6, R9): no email, page, API answer or INS event says money
moved before the gateway confirmed it; refunds are reconciled and retried, never re-sent
blindly; leases count from the claim, so late workers never take over a live call."""

import threading
import time
from datetime import timedelta

import pendulum
import pytest
from sqlmodel import Session, select

from cbportal.models import (
    AuditLog,
    Bill,
    EmailOutbox,
    InsOutbox,
    Opener,
    Order,
    PaymentAttempt,
    SandboxCharge,
    Subscription,
    Ticket,
)
from cbportal.services.billing import charges as billing
from cbportal.services.billing import refunds
from cbportal.services.billing.gateways import GatewayResult, Outcome
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.billing.orders import order_view
from cbportal.services.core.clock import FixedClock
from cbportal.services.core.errors import Forbidden, Invalid
from cbportal.services.staff import desk as staff_desk
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets import processing as tp
from cbportal.services.tickets.lifecycle import CUSTOMER
from tests import factories

NY = "America/New_York"
WED = pendulum.datetime(2026, 1, 7, 15, tz=NY).in_timezone("UTC")


class ScriptedRefunds(SandboxGateway):
    """The sandbox, but each refund call answers the next step of a script first:
    'pending' (the gateway has not decided), 'error' (refused), 'timeout' (no answer, nothing
    happened), 'lost' (the refund happened, the answer was lost); then real refunds. `find`
    reports a 'pending' refund as pending until `confirm()` is called."""

    def __init__(self, engine, clock, script=()):
        super().__init__(engine, clock)
        self.script, self.refund_calls, self.pending_keys, self.confirmed = list(script), [], set(), False

    def refund(self, **kw):
        self.refund_calls.append(kw["idempotency_key"])
        step = self.script.pop(0) if self.script else "ok"
        if step == "pending":
            self.pending_keys.add(kw["idempotency_key"])
            self._pending_call = kw
            return GatewayResult(outcome=Outcome.PENDING, ref="re_pending")
        if step == "error":
            return GatewayResult(outcome=Outcome.ERROR, message="insufficient balance on the merchant account")
        if step == "timeout":
            raise TimeoutError("read timed out")
        result = super().refund(**kw)
        if step == "lost":
            raise ConnectionError("connection reset after the refund")
        return result

    def confirm(self):
        self.confirmed = True
        super().refund(**self._pending_call)        # the gateway finishes the pending refund

    def find(self, *, idempotency_key):
        if idempotency_key in self.pending_keys and not self.confirmed:
            return GatewayResult(outcome=Outcome.PENDING, ref="re_pending")
        return super().find(idempotency_key=idempotency_key)


@pytest.fixture
def world(session, engine, clock):
    clock.set(WED)
    acct, owner = factories.account(session, WED)
    acct.ins_url, acct.ins_secret = "https://hooks.acme.test/ins", "s3cret"
    prod = factories.product(session, WED, owner, acct)
    order = factories.order(session, engine, clock, prod, acct, paid_at=WED - timedelta(days=10))
    session.commit()
    t = tickets.open_ticket(session, now=WED, order=order, type="refund", who=CUSTOMER, opener=Opener.CUSTOMER,
                            comment="Please refund.")
    session.commit()
    return {"acct": acct, "owner": owner, "order": order, "ticket_id": t.id, "due": t.process_at,
            "staff": factories.staff(session, WED)}


def kinds(engine, kind):
    with Session(engine) as s:
        return s.exec(select(EmailOutbox.to_addr).where(EmailOutbox.kind == kind)).all()


def ins_events(engine, event):
    with Session(engine) as s:
        return s.exec(select(InsOutbox).where(InsOutbox.event_type == event)).all()


def state(engine, world):
    with Session(engine) as s:
        t = s.get(Ticket, world["ticket_id"])
        bill = s.get(Bill, t.target_bill_id)
        order = s.get(Order, world["order"].id)
        return {"ticket": (str(t.status), t.refund_status and str(t.refund_status),
                           t.close_reason and str(t.close_reason)),
                "bill": (str(bill.status), bill.refunded_cents), "order": order_view(s, order)["status"],
                "view": tickets.ticket_view(s, t)["refund_status"]}


def test_r3_a_refund_pending_at_the_gateway_says_pending_until_it_succeeds(world, engine, clock):
    gateway = ScriptedRefunds(engine, clock, ["pending"])
    due = world["due"]
    assert tp.process_due_tickets(engine, due, gateway=gateway) == 1
    assert state(engine, world) == {"ticket": ("open", "pending", None), "bill": ("paid", 0), "order": "paid",
                                    "view": "pending"}
    assert kinds(engine, "refund_confirmation") == [] and ins_events(engine, "RFND") == []
    # the subscription stops at once (R3): that is not money
    assert len(kinds(engine, "subscription_canceled")) == 2
    with Session(engine) as s:
        assert order_view(s, s.get(Order, world["order"].id))["refund_pending_cents"] == 2995
    assert tp.settle_refunds(engine, due + timedelta(seconds=30), gateway=gateway) == 0     # not yet time to look
    assert tp.settle_refunds(engine, due + timedelta(minutes=1), gateway=gateway) == 1      # looked up: still pending
    assert state(engine, world)["ticket"] == ("open", "pending", None)
    gateway.confirm()
    with Session(engine) as s:
        next_look = s.exec(select(PaymentAttempt.check_at).where(PaymentAttempt.kind == "refund")).one()
    assert tp.settle_refunds(engine, next_look, gateway=gateway) == 1
    assert state(engine, world) == {"ticket": ("closed", "succeeded", "processed"), "bill": ("refunded", 2995),
                                    "order": "refunded", "view": "succeeded"}
    assert gateway.refund_calls == [f"refund:ticket:{world['ticket_id']}"]     # looked up, never sent again
    assert sorted(kinds(engine, "refund_confirmation")) == ["buyer@example.test", "support@acme.test"]
    assert [e.payload["amount_cents"] for e in ins_events(engine, "RFND")] == [2995]
    with Session(engine) as s:
        succeeded = s.exec(select(AuditLog.action).where(AuditLog.action == "refund.succeeded")).all()
        assert succeeded == ["refund.succeeded"]


def test_r3_r6_a_refused_refund_is_retried_with_new_keys_and_reaches_staff_after_3_days(world, engine, clock):
    gateway = ScriptedRefunds(engine, clock, ["error"] * 1000)
    due = world["due"]
    tp.process_due_tickets(engine, due, gateway=gateway)
    assert state(engine, world)["ticket"] == ("open", "pending", None)
    now = due
    while now < due + timedelta(days=3, hours=1):
        with Session(engine) as s:
            now = max(now, s.exec(select(PaymentAttempt.check_at).where(PaymentAttempt.check_at.is_not(None))).one())
        tp.settle_refunds(engine, now, gateway=gateway)
        with Session(engine) as s:
            queue = staff_desk.stuck_refunds(s, now=now, actor=world["staff"])
        if now < due + refunds.STUCK_AFTER:
            assert queue == []
    key = f"refund:ticket:{world['ticket_id']}"
    # tries after 0, 1 min, 6 min, 36 min, 2 h 36 min, then every 6 h, each with its own key:
    # the 17th (at 74 h 36 min) is the first after 3 days + 1 h
    assert gateway.refund_calls[:4] == [key, f"{key}#2", f"{key}#3", f"{key}#4"]
    assert len(set(gateway.refund_calls)) == len(gateway.refund_calls) == 17
    assert [(q["receipt"], q["amount_cents"], q["state"]) for q in queue] == [(world["order"].receipt, 2995, "failed")]
    assert "insufficient balance" in queue[0]["message"]
    assert kinds(engine, "refund_confirmation") == [] and ins_events(engine, "RFND") == []
    with Session(engine) as s, pytest.raises(Forbidden):
        staff_desk.mark_refunded(s, now=now, actor=factories.clerk(s, now, world["acct"]),
                                 attempt_id=queue[0]["attempt_id"], reason="Sent by bank transfer")
    with Session(engine) as s, pytest.raises(Invalid):
        staff_desk.mark_refunded(s, now=now, actor=world["staff"], attempt_id=queue[0]["attempt_id"], reason="")
    with Session(engine) as s:
        staff_desk.mark_refunded(s, now=now, actor=world["staff"], attempt_id=queue[0]["attempt_id"],
                                 reason="Sent by bank transfer, ref 4471")
        s.commit()
    assert state(engine, world)["ticket"] == ("closed", "succeeded", "processed")
    assert state(engine, world)["bill"] == ("refunded", 2995)
    assert len(kinds(engine, "refund_confirmation")) == 2 and len(ins_events(engine, "RFND")) == 1
    with Session(engine) as s:
        assert staff_desk.stuck_refunds(s, now=now, actor=world["staff"]) == []
        row = s.exec(select(AuditLog).where(AuditLog.action == "refund.marked_refunded")).one()
        assert row.detail["reason"] == "Sent by bank transfer, ref 4471" and row.actor_user_id is not None
    assert tp.settle_refunds(engine, now + timedelta(days=2), gateway=gateway) == 0        # nothing left to try


def test_r6_a_refund_whose_answer_was_lost_is_looked_up_not_sent_again(world, engine, clock):
    gateway = ScriptedRefunds(engine, clock, ["lost"])
    tp.process_due_tickets(engine, world["due"], gateway=gateway)
    assert state(engine, world)["ticket"] == ("open", "pending", None)
    tp.settle_refunds(engine, world["due"] + timedelta(minutes=1), gateway=gateway)
    assert state(engine, world)["ticket"] == ("closed", "succeeded", "processed")
    assert len(gateway.refund_calls) == 1
    with Session(engine) as s:
        assert len(s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()) == 1


def test_r6_a_refund_that_timed_out_before_reaching_the_gateway_is_sent_once_more(world, engine, clock):
    gateway = ScriptedRefunds(engine, clock, ["timeout"])
    tp.process_due_tickets(engine, world["due"], gateway=gateway)
    tp.settle_refunds(engine, world["due"] + timedelta(minutes=1), gateway=gateway)
    assert state(engine, world)["bill"] == ("refunded", 2995)
    key = f"refund:ticket:{world['ticket_id']}"
    assert gateway.refund_calls == [key, key]       # the look-up found nothing, so the same key went again
    with Session(engine) as s:
        assert len(s.exec(select(SandboxCharge).where(SandboxCharge.kind == "refund")).all()) == 1


class KeylessSlowGateway:
    """A gateway that does NOT honour idempotency keys (like localstripe) and takes 300 ms a
    call; it counts every call. `find` looks payments up by key, as the Stripe gateway does
    with metadata."""
    name = "sandbox"

    def __init__(self):
        self.calls, self.lock, self.ledger = [], threading.Lock(), {}

    def _call(self, kind, key, outcome):
        time.sleep(0.3)
        with self.lock:
            self.calls.append((kind, key))
            self.ledger[key] = GatewayResult(outcome=outcome, ref=f"{kind}_{len(self.calls)}")
            return self.ledger[key]

    def charge(self, *, idempotency_key, **_):
        return self._call("charge", idempotency_key, Outcome.PAID)

    def refund(self, *, idempotency_key, **_):
        return self._call("refund", idempotency_key, Outcome.REFUNDED)

    def find(self, *, idempotency_key):
        with self.lock:
            return self.ledger.get(idempotency_key)


def refund_tickets(session, engine, clock, prod, acct, n: int, who: str, comment: str | None = None):
    """`n` orders paid 10 days before WED (prefix@example.test), each with a customer's refund ticket."""
    opened = []
    for i in range(n):
        order = factories.order(session, engine, clock, prod, acct, paid_at=WED - timedelta(days=10),
                                email=f"{who}{i}@example.test")
        session.commit()
        opened.append(tickets.open_ticket(session, now=WED, order=order, type="refund", who=CUSTOMER,
                                          opener=Opener.CUSTOMER, comment=comment))
        session.commit()
    return opened


def test_r6_two_workers_an_hour_late_call_the_gateway_once_per_refund_and_charge(session, engine, clock):
    clock.set(WED)
    acct, owner = factories.account(session, WED)
    prod = factories.product(session, WED, owner, acct)
    due_refunds = [t.process_at for t in refund_tickets(session, engine, clock, prod, acct, 4, "buyer")]
    payers = [factories.order(session, engine, clock, prod, acct, paid_at=WED - timedelta(days=30),
                              email=f"payer{i}@example.test").id for i in range(4)]
    for sub in session.exec(select(Subscription).where(Subscription.order_id.in_(payers))).all():
        sub.next_bill_date = max(due_refunds).date()
        sub.next_charge_at = max(due_refunds)
        session.add(sub)
    session.commit()
    late = FixedClock(max(due_refunds) + timedelta(hours=1))
    gateway = KeylessSlowGateway()

    def run_worker():
        for _ in range(3):
            now = late.now()
            tp.process_due_tickets(engine, now, gateway=gateway, clock=late)
            tp.settle_refunds(engine, now, gateway=gateway, clock=late)
            billing.run_rebills(engine, now, gateway=gateway, clock=late)

    workers = [threading.Thread(target=run_worker) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    refunds_made = sorted(k for kind, k in gateway.calls if kind == "refund")
    charges_made = sorted(k for kind, k in gateway.calls if kind == "charge")
    assert len(refunds_made) == len(set(refunds_made)) == 4
    assert len(charges_made) == len(set(charges_made)) == 4
    with Session(engine) as s:
        assert {str(t.refund_status) for t in s.exec(select(Ticket))} == {"succeeded"}


def test_r4_refund_confirmations_recorded_in_a_group_say_what_a_fresh_read_says(session, engine, clock):
    """Issue 12: the refund recorder loads a group's bills, attempts, subscriptions and threads
    once (preload.remember) and composes every confirmation from them; each stored email
    equals the same email composed afterwards, alone, from the database."""
    from cbportal.models import Ticket as TicketRow
    from cbportal.services.tickets import mail as ticket_mail

    clock.set(WED)
    acct, owner = factories.account(session, WED)
    prod = factories.product(session, WED, owner, acct)
    ids = [t.id for t in refund_tickets(session, engine, clock, prod, acct, 5, "group", comment="Refund, please.")]
    with Session(engine) as s:
        due = max(s.get(TicketRow, i).process_at for i in ids)
    assert tp.process_due_tickets(engine, due, gateway=SandboxGateway(engine, FixedClock(due))) == 5
    with Session(engine) as s:
        stored = s.exec(select(EmailOutbox).where(EmailOutbox.kind == "refund_confirmation")
                        .order_by(EmailOutbox.ticket_id, EmailOutbox.id)).all()
        assert len(stored) == 10
        for ticket_id in ids:
            fresh = ticket_mail.compose(s, kind="refund_confirmation", ticket=s.get(TicketRow, ticket_id))
            mine = [row for row in stored if row.ticket_id == ticket_id]
            assert [(row.to_addr, row.subject, row.params) for row in mine] == \
                [(m["to"], m["subject"], {k: v for k, v in m.items() if k not in ("to", "subject", "reply_to")})
                 for m in fresh]
            assert mine[0].params["order"]["status"] == "refunded"
