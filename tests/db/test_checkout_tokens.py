"""Checkout with tokens (issue 11 point 5, RULES R6): a debit the gateway reports as still
processing (real Stripe's answer for SEPA) leaves the bill pending, with the gateway's id
and no receipt or sale notice; `finish_initial_charge` completes the sale once
the payment is looked up and found paid. The gateway here is the sandbox with one change:
its charge answers 'pending', as Stripe does for a SEPA debit."""

from dataclasses import replace

from sqlmodel import Session, select

from cbportal.models import EmailOutbox, PaymentAttempt, Subscription
from cbportal.services.billing import checkout
from cbportal.services.billing.gateways import Outcome, PaymentInput
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from tests.utils.billing import bills, move, product, utc


class ProcessingGateway(SandboxGateway):
    def charge(self, **kwargs):
        return replace(super().charge(**kwargs), outcome=Outcome.PENDING)


def test_a_processing_debit_stays_pending_until_it_is_looked_up(shop):  # noqa: F811
    product(shop, "PRO", initial=2995, rebill=995)
    engine, at = shop["engine"], utc(2026, 1, 10, 9)
    move(shop, at)
    gateway = ProcessingGateway(engine, shop["clock"])
    token = gateway.tokenize(type="card", card={"number": "4242424242424242", "exp_month": 1, "exp_year": 2030})
    receipt = checkout.checkout(engine, now=at, gateway=gateway, sku="PRO",
                                customer=checkout.CustomerInput("erika@example.test", "Erika", "DE"),
                                payment=PaymentInput(type="card", payment_method=token["id"]))
    assert [b.status for b in bills(shop, receipt)] == ["pending"]
    with Session(engine) as s:
        attempt = s.exec(select(PaymentAttempt)).one()
        assert attempt.outcome == "pending" and attempt.gateway_ref.startswith("sbx_charge_")
        assert s.exec(select(EmailOutbox)).all() == []
        assert s.exec(select(Subscription)).all() == []
        attempt_id = attempt.id
    found = gateway.find(idempotency_key=attempt.idempotency_key)      # later: the debit has settled
    assert checkout.finish_initial_charge(engine, attempt_id=attempt_id, result=replace(found, outcome=Outcome.PAID),
                                          at=utc(2026, 1, 12)) == "paid"
    assert [b.status for b in bills(shop, receipt)] == ["paid"]
    with Session(engine) as s:
        assert sorted(m.kind for m in s.exec(select(EmailOutbox)).all()) == ["receipt", "sale_notice"]
        assert s.exec(select(Subscription)).one().status == "active"
    # a second lookup finds it recorded: nothing is sent twice
    assert checkout.finish_initial_charge(engine, attempt_id=attempt_id, result=found, at=utc(2026, 1, 12)) == "done"
