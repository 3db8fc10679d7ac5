"""One cancelation path whatever the cause, and reminders that are never lost (RULES R3, R5, R6, R9)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from cbportal.models import EmailOutbox, InsOutbox, Opener, Order, Subscription, VendorAccount
from cbportal.services.billing import charges as billing
from cbportal.services.engine import testmode, worker
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets.lifecycle import CUSTOMER
from tests.utils.billing import buy, move, product

AFTER_CANCEL = ("rebill_reminder", "rebill_notice", "payment_failed", "card_invalid")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def _reminders_on(shop, days=3):
    with Session(shop["engine"]) as s:
        account = s.get(VendorAccount, shop["account_id"])
        account.reminder_days, account.ins_url, account.ins_secret = days, "https://hooks.shop.test/ins", "s3cret"
        s.commit()


def _behave(shop, receipt, behavior):
    with Session(shop["engine"]) as s:
        testmode.set_payment_behavior(s, receipt=receipt, behavior=behavior)
        s.commit()


def _ticket(shop, receipt, kind):
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        tickets.open_ticket(s, now=shop["clock"].now(), order=order, type=kind, who=CUSTOMER, opener=Opener.CUSTOMER)
        s.commit()


CAUSES = {
    # cause: (what starts it, the cancel reason it records)
    "cancel ticket": (lambda shop, r: _ticket(shop, r, "cancel"), "cancel_ticket"),
    "refund ticket": (lambda shop, r: _ticket(shop, r, "refund"), "refund"),
    "four failed payments": (lambda shop, r: _behave(shop, r, "insufficient_funds"), "payment_failed"),
    "four invalid-card notices": (lambda shop, r: _behave(shop, r, "invalid_card"), "card_invalid"),
}


@pytest.mark.parametrize("cause", list(CAUSES))
def test_r3_every_cancel_stops_every_timer_and_tells_everyone_once(shop, cause):  # noqa: F811
    _reminders_on(shop)
    product(shop, "MONTHLY", initial=3000, rebill=3000)
    receipt = buy(shop, "MONTHLY", utc(2026, 1, 5, 9))
    move(shop, utc(2026, 1, 20, 9))
    start, reason = CAUSES[cause]
    start(shop, receipt)
    move(shop, utc(2026, 12, 31))
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        sub = s.exec(select(Subscription).where(Subscription.order_id == order.id)).one()
        assert (sub.status, sub.cancel_reason) == ("canceled", reason)
        assert (sub.next_bill_date, sub.next_charge_at, sub.reminder_due_at, sub.dunning_next_date) == (None,) * 4
        mail = s.exec(select(EmailOutbox).where(EmailOutbox.order_id == order.id)).all()
        late = [(m.kind, m.created_at) for m in mail if m.kind in AFTER_CANCEL and m.created_at > sub.canceled_at]
        assert late == []
        assert sorted(m.to_addr for m in mail if m.kind == "subscription_canceled") == [
            "buyer@example.test", "support@shop.test"]
        cancels = s.exec(select(InsOutbox).where(InsOutbox.event_type == "CANCEL-REBILL")).all()
        assert [(c.payload["receipt"], c.payload["reason"]) for c in cancels] == [(receipt, reason)]
        refunds = s.exec(select(InsOutbox).where(InsOutbox.event_type == "RFND")).all()
        assert len(refunds) == (1 if cause == "refund ticket" else 0)


def test_r3_a_cancel_is_compare_and_set(shop):  # noqa: F811
    product(shop, "MONTHLY", initial=3000, rebill=3000)
    receipt = buy(shop, "MONTHLY", utc(2026, 1, 5, 9))
    with Session(shop["engine"]) as s:
        sub = s.exec(select(Subscription).join(Order).where(Order.receipt == receipt)).one()
        assert billing.cancel(s, sub=sub, at=utc(2026, 1, 6), reason="staff") is True
        assert billing.cancel(s, sub=sub, at=utc(2026, 1, 7), reason="staff") is False   # told once only
        s.commit()
        assert len(s.exec(select(EmailOutbox).where(EmailOutbox.kind == "subscription_canceled")).all()) == 2


def test_r5_after_an_outage_across_the_reminder_date_all_400_reminders_go_out(shop):  # noqa: F811
    """The worker is stopped from before the reminders (Feb 2) until after the rebills
    (Feb 5); when it starts again, every reminder goes out, before or with its rebill notice."""
    _reminders_on(shop)
    product(shop, "MONTHLY", initial=3000, rebill=3000)
    buy(shop, "MONTHLY", utc(2026, 1, 5, 9))
    with Session(shop["engine"]) as s:                 # 399 more subscriptions like it, bought the same day
        first = s.exec(select(Subscription)).one()
        order = s.get(Order, first.order_id)
        for i in range(399):
            clone = Order(**{**order.model_dump(exclude={"id"}), "receipt": f"OUT{i:05d}"})
            s.add(clone)
            s.flush()
            s.add(Subscription(**{**first.model_dump(exclude={"id", "order_id"}), "order_id": clone.id}))
        s.commit()
    outage_end = utc(2026, 2, 6, 12)
    # the worker was down: it now catches up in one go at outage_end (the real clock, not the test clock)
    worker.run_due(shop["engine"], outage_end)
    with Session(shop["engine"]) as s:
        reminders = s.exec(select(EmailOutbox).where(EmailOutbox.kind == "rebill_reminder")).all()
        notices = {m.order_id: m.id for m in s.exec(select(EmailOutbox).where(EmailOutbox.kind == "rebill_notice"))}
        assert len(reminders) == 400
        assert len({m.order_id for m in reminders}) == 400
        assert len(notices) == 400
        assert all(m.id < notices[m.order_id] for m in reminders)        # written before its rebill notice
        assert {m.created_at for m in reminders} == {utc(2026, 2, 2)}   # as of when they were due
        assert all(sub.reminder_sent_for.isoformat() == "2026-02-05" for sub in s.exec(select(Subscription)))
    worker.run_due(shop["engine"], outage_end + timedelta(minutes=1))
    with Session(shop["engine"]) as s:
        assert len(s.exec(select(EmailOutbox).where(EmailOutbox.kind == "rebill_reminder")).all()) == 400
