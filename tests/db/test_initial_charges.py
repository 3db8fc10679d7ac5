"""First payments left pending at checkout are reconciled by the worker (issue 11, RULES R6):
a SEPA-like debit the gateway reports as processing is looked up (never charged again)
until the gateway decides; paid -> the sale (receipt, sale notice, SALE, subscription);
declined -> the order fails with no email; an answer lost even on checkout's own look-up
is found later. The gateway is the sandbox with its charge answering 'pending' and its
`find` answering 'pending' until the test settles the debit."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from cbportal.models import (
    Bill,
    EmailOutbox,
    InsOutbox,
    Order,
    PaymentAttempt,
    SandboxCharge,
    Subscription,
    VendorAccount,
)
from cbportal.services.billing import checkout, initial_charges
from cbportal.services.billing.gateways import Outcome, PaymentInput
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core.errors import Unavailable
from cbportal.services.engine import worker
from tests.utils.billing import move, product, utc

AT = utc(2026, 1, 10, 9)


class SepaLikeGateway(SandboxGateway):
    """Charges answer 'pending' (the ledger keeps the real outcome); `find` answers 'pending'
    until `settle()`; with `lose` the first call and first look-up get no answer."""

    def __init__(self, engine, clock, *, lose=False):
        super().__init__(engine, clock)
        self.settled, self.lose, self.charges, self.finds = False, lose, [], 0

    def charge(self, **kw):
        self.charges.append(kw["idempotency_key"])
        result = super().charge(**kw)
        if self.lose:
            raise ConnectionError("connection reset after the charge")
        return replace(result, outcome=Outcome.PENDING)

    def find(self, *, idempotency_key):
        self.finds += 1
        if self.lose:
            self.lose = False
            raise TimeoutError("read timed out")
        found = super().find(idempotency_key=idempotency_key)
        if found is not None and not self.settled:
            return replace(found, outcome=Outcome.PENDING)
        return found

    def settle(self):
        self.settled = True


def sepa_checkout(shop, gateway, card="4242424242424242"):  # noqa: F811
    token = gateway.tokenize(type="card", card={"number": card, "exp_month": 1, "exp_year": 2030})
    return checkout.checkout(shop["engine"], now=AT, gateway=gateway, sku="PRO",
                             customer=checkout.CustomerInput("erika@example.test", "Erika", "DE"),
                             payment=PaymentInput(type="card", payment_method=token["id"]))


def facts(engine, receipt):
    with Session(engine) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        bill = s.exec(select(Bill).where(Bill.order_id == order.id)).one()
        attempt = s.exec(select(PaymentAttempt).where(PaymentAttempt.bill_id == bill.id)).one()
        return {"order": str(order.status), "bill": str(bill.status), "attempt": str(attempt.outcome),
                "check_at": attempt.check_at, "emails": sorted(m.kind for m in s.exec(select(EmailOutbox))),
                "sale": len(s.exec(select(InsOutbox).where(InsOutbox.event_type == "SALE")).all()),
                "subscriptions": [str(x.status) for x in s.exec(select(Subscription))]}


@pytest.fixture
def pro(shop):  # noqa: F811
    product(shop, "PRO", initial=2995, rebill=995)
    with Session(shop["engine"]) as s:                               # the vendor listens to INS (R9)
        account = s.get(VendorAccount, shop["account_id"])
        account.ins_url, account.ins_secret = "https://hooks.shop.test/ins", "s3cret"
        s.add(account)
        s.commit()
    move(shop, AT)
    return shop


def test_r6_a_processing_debit_is_looked_up_until_paid_then_the_sale_happens_once(pro):
    engine = pro["engine"]
    gateway = SepaLikeGateway(engine, pro["clock"])
    receipt = sepa_checkout(pro, gateway)
    assert facts(engine, receipt)["bill"] == "pending" and facts(engine, receipt)["emails"] == []
    with Session(engine) as s:
        assert initial_charges.next_due(s) == AT + initial_charges.FIRST_LOOK
    # before the first look: a checkout still waiting on its own call is never raced
    assert initial_charges.run_due(engine, AT + timedelta(minutes=9), gateway=gateway, clock=pro["clock"]) == 0
    assert initial_charges.run_due(engine, AT + timedelta(minutes=10), gateway=gateway, clock=pro["clock"]) == 1
    still = facts(engine, receipt)
    assert (still["order"], still["bill"], still["attempt"], still["emails"], still["sale"]) == (
        "active", "pending", "pending", [], 0)
    assert still["check_at"] == AT + timedelta(minutes=25)          # 15 min later while under an hour old
    assert initial_charges.run_due(engine, AT + timedelta(minutes=20), gateway=gateway, clock=pro["clock"]) == 0
    gateway.settle()                                                 # the bank confirms the debit
    settled_at = AT + timedelta(minutes=25)
    assert initial_charges.run_due(engine, settled_at, gateway=gateway, clock=pro["clock"]) == 1
    done = facts(engine, receipt)
    assert (done["order"], done["bill"], done["attempt"], done["check_at"]) == ("active", "paid", "paid", None)
    assert done["emails"] == ["receipt", "sale_notice"] and done["sale"] == 1 and done["subscriptions"] == ["active"]
    with Session(engine) as s:
        bill = s.exec(select(Bill)).one()
        assert (bill.paid_at, bill.net_cents) == (settled_at, 2670)   # R1: round(2995 x 92.5%) - 100
        assert initial_charges.next_due(s) is None
    assert initial_charges.run_due(engine, AT + timedelta(days=3), gateway=gateway, clock=pro["clock"]) == 0
    assert facts(engine, receipt)["emails"] == ["receipt", "sale_notice"]          # nothing twice
    assert len(gateway.charges) == 1                                 # looked up, never charged again


def test_r6_a_debit_the_bank_returns_fails_the_order_without_a_sale(pro):
    engine = pro["engine"]
    gateway = SepaLikeGateway(engine, pro["clock"])
    receipt = sepa_checkout(pro, gateway, card="4000000000009995")   # the ledger's answer: insufficient funds
    gateway.settle()
    assert initial_charges.run_due(engine, AT + timedelta(hours=1), gateway=gateway, clock=pro["clock"]) == 1
    done = facts(engine, receipt)
    assert (done["order"], done["bill"], done["attempt"], done["check_at"]) == (
        "failed", "failed", "insufficient_funds", None)
    assert done["emails"] == [] and done["sale"] == 0 and done["subscriptions"] == []


def test_r6_a_charge_whose_answer_was_lost_at_checkout_is_found_by_the_worker(pro):
    engine = pro["engine"]
    gateway = SepaLikeGateway(engine, pro["clock"], lose=True)
    gateway.settle()
    with pytest.raises(Unavailable):
        sepa_checkout(pro, gateway)
    with Session(engine) as s:
        receipt = s.exec(select(Order.receipt)).one()
    assert facts(engine, receipt)["attempt"] == "pending"
    # the worker, through the registered source, as the test clock runs due work
    worker.advance_test_clock(engine, AT + timedelta(minutes=10),
                              [s for s in worker.all_sources() if s.name == "initial_charges"])
    # the registered source uses the app's gateway (the plain sandbox): same ledger, real outcome
    done = facts(engine, receipt)
    assert (done["bill"], done["emails"], done["sale"]) == ("paid", ["receipt", "sale_notice"], 1)
    assert gateway.charges == [gateway.charges[0]]
    with Session(engine) as s:
        assert len(s.exec(select(SandboxCharge).where(SandboxCharge.kind == "charge")).all()) == 1


def test_r6_a_payment_that_never_reached_the_gateway_fails_the_order(pro):
    engine = pro["engine"]
    gateway = SepaLikeGateway(engine, pro["clock"])
    receipt = sepa_checkout(pro, gateway)
    with Session(engine) as s:                                       # as if the call had never been made
        for row in s.exec(select(SandboxCharge)):
            s.delete(row)
        s.commit()
    assert initial_charges.run_due(engine, AT + timedelta(minutes=10), gateway=gateway, clock=pro["clock"]) == 1
    done = facts(engine, receipt)
    assert (done["order"], done["bill"], done["emails"], done["sale"]) == ("failed", "failed", [], 0)


def test_r6_rebills_pending_at_the_gateway_are_not_this_sources_work(pro):
    engine = pro["engine"]
    gateway = SepaLikeGateway(engine, pro["clock"])
    gateway.settle()
    receipt = sepa_checkout(pro, gateway)
    initial_charges.run_due(engine, AT + timedelta(minutes=10), gateway=gateway, clock=pro["clock"])
    assert facts(engine, receipt)["bill"] == "paid"
    with Session(engine) as s:                                       # a rebill attempt left pending
        order = s.exec(select(Order)).one()
        bill = Bill(order_id=order.id, seq=2, kind="rebill", scheduled_date=AT.date(), amount_cents=995,
                    status="pending")
        s.add(bill)
        s.flush()
        s.add(PaymentAttempt(bill_id=bill.id, kind="charge", idempotency_key="charge:x:2:1", amount_cents=995,
                             gateway="sandbox", at=AT))
        s.commit()
        assert initial_charges.next_due(s) is None
    assert initial_charges.run_due(engine, AT + timedelta(days=1), gateway=gateway, clock=pro["clock"]) == 0


def test_r6_a_payment_another_worker_is_looking_up_is_left_to_it(pro):
    """The lease counts from the claim instant: a second worker at the same moment, or one
    running an hour behind, finds nothing to do while the first one's look-up is under way."""
    engine = pro["engine"]
    gateway = SepaLikeGateway(engine, pro["clock"])
    sepa_checkout(pro, gateway)
    due = AT + initial_charges.FIRST_LOOK
    with Session(engine) as s:                                       # worker A claims it (its call is under way)
        attempt = s.exec(select(PaymentAttempt)).one()
        assert initial_charges._claim(s, attempt, due + initial_charges.LEASE)
        s.commit()
    finds = gateway.finds
    assert initial_charges.run_due(engine, due, gateway=gateway, clock=pro["clock"]) == 0
    assert initial_charges.run_due(engine, due - timedelta(hours=1), gateway=gateway, clock=pro["clock"]) == 0
    assert gateway.finds == finds
    with Session(engine) as s:                                       # A died: after its lease, B looks it up
        assert initial_charges.next_due(s) == due + initial_charges.LEASE
    assert initial_charges.run_due(engine, due + initial_charges.LEASE, gateway=gateway, clock=pro["clock"]) == 1
