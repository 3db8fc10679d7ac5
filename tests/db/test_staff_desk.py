"""The staff desk (R8, R3, R5): phone tickets on the customer's timers after the caller
proves the order, the abuse flag processing a vendor's open requests at once, and the
admin-frequency grant; vendors are refused every one, on SQLite and PostgreSQL."""

from datetime import timedelta

import pendulum
import pytest
from sqlmodel import select

from cbportal.models import AuditLog, EmailOutbox, Opener, Party, Ticket
from cbportal.services.billing import products
from cbportal.services.core.errors import Forbidden, Invalid, NotFound
from cbportal.services.delivery.mail import bodies
from cbportal.services.staff import desk as staff_desk
from cbportal.services.staff import products as staff_products
from cbportal.services.staff import samples as staff_samples
from cbportal.services.tickets import lifecycle as tickets
from tests import factories

NY = "America/New_York"
WED = pendulum.datetime(2026, 1, 7, 15, tz=NY).in_timezone("UTC")        # Wed 15:00 New York


@pytest.fixture
def desk(session, engine, clock):
    clock.set(WED)
    acct, owner = factories.account(session, WED)
    prod = factories.product(session, WED, owner, acct)
    order = factories.order(session, engine, clock, prod, acct, paid_at=WED - timedelta(days=3))
    session.commit()
    return {"staff": factories.staff(session, WED), "owner": owner, "acct": acct, "order": order}


def test_r3_phone_ticket_runs_on_the_customers_timers(session, desk):
    with pytest.raises(NotFound):        # the caller must know the order's email
        staff_desk.phone_ticket(session, now=WED, actor=desk["staff"], receipt=desk["order"].receipt,
                                email="someone@else.test", type="refund")
    ticket = staff_desk.phone_ticket(session, now=WED, actor=desk["staff"], receipt=desk["order"].receipt.lower(),
                                     email="BUYER@example.test", type="refund", comment="Called in.")
    session.commit()
    assert ticket.opened_by == Opener.STAFF
    assert pendulum.instance(ticket.process_at).in_timezone(NY).format("ddd HH:mm") == "Thu 15:00"  # 24 business h


def test_r3_flag_processes_open_requests_now_and_unflag(session, desk):
    t = tickets.open_ticket(session, now=WED, order=desk["order"], type="refund", who=tickets.CUSTOMER,
                            opener=Opener.CUSTOMER)
    session.commit()
    later = WED + timedelta(hours=1)
    staff_desk.set_abuse_flag(session, now=later, actor=desk["staff"], nickname="acme", flagged=True)
    session.commit()
    session.refresh(t)
    assert t.process_at == later
    assert staff_desk.accounts(session, actor=desk["staff"])[0] | {"time_zone": None} == {
        "nickname": "acme", "flagged": True, "admin_frequencies": False, "open_tickets": 1, "time_zone": None}
    staff_desk.set_abuse_flag(session, now=later, actor=desk["staff"], nickname="acme", flagged=False)
    session.commit()
    assert staff_desk.accounts(session, actor=desk["staff"])[0]["flagged"] is False


def test_r5_admin_frequency_grant(session, desk):
    terms = products.RecurringTerms(995, "month", 6)
    def create(sku):
        products.create_product(session, now=WED, actor=desk["owner"], sku=sku, account="acme", title="Half-yearly",
                                kind="digital", currency="USD", initial_price_cents=995, commission_initial_pct=50,
                                commission_rebill_pct=50, recurring=terms)
    with pytest.raises(Forbidden) as refused:
        create("HALF1")
    assert refused.value.code == "admin_frequency_required"
    session.rollback()
    staff_desk.set_admin_frequencies(session, now=WED, actor=desk["staff"], nickname="acme", granted=True)
    session.commit()
    create("HALF2")
    session.commit()


def test_r8_vendors_cannot_use_the_staff_desk(session, desk):
    owner = desk["owner"]
    for call in (lambda: staff_desk.accounts(session, actor=owner),
                 lambda: staff_desk.phone_ticket(session, now=WED, actor=owner, receipt=desk["order"].receipt,
                                                 email="buyer@example.test", type="refund"),
                 lambda: staff_desk.set_abuse_flag(session, now=WED, actor=owner, nickname="acme", flagged=False),
                 lambda: staff_desk.set_admin_frequencies(session, now=WED, actor=owner, nickname="acme",
                                                          granted=True)):
        with pytest.raises(Forbidden):
            call()
    session.rollback()
    assert session.exec(select(Ticket)).all() == []
    assert staff_desk.accounts(session, actor=desk["staff"])[0]["admin_frequencies"] is False


def test_r1_r5_product_review_shows_every_term_and_the_exact_split(session, desk):
    """The R1 worked example: initial $29.95, 11 monthly rebills of $9.95, 55% on both."""
    products.create_product(session, now=WED, actor=desk["owner"], sku="NEWPRO", account="acme", title="New Pro",
                            description="Members area and weekly videos.", kind="digital", currency="USD",
                            initial_price_cents=2995, commission_initial_pct=55, commission_rebill_pct=55,
                            recurring=products.RecurringTerms(995, "month", 1, rebills=11, trial_days=14))
    products.create_product(session, now=WED, actor=desk["owner"], sku="MUG", account="acme", title="Mug",
                            kind="physical", currency="EUR", initial_price_cents=1500, commission_initial_pct=10,
                            commission_rebill_pct=0, ship_to=["DE", "AT"])
    session.commit()
    queue = staff_products.review_queue(session, actor=desk["staff"])
    assert [q["sku"] for q in queue] == ["NEWPRO", "MUG"]
    pro, mug = queue
    assert {k: pro[k] for k in ("initial", "rebill", "frequency", "trial", "payments", "shipping", "description",
                                "affiliate_total")} == {
        "initial": "$29.95", "rebill": "$9.95", "frequency": "Monthly", "trial": "14 days before the first rebill",
        "payments": "11 rebills after the initial payment", "shipping": "Nothing shipped (digital)",
        "description": "Members area and weekly videos.",
        "affiliate_total": "$68.92 to an affiliate over the whole term (initial + 11 rebills)"}
    assert {k: pro["initial_split"][k] for k in ("net", "commission", "vendor", "rate")} == {
        "net": "$26.70", "commission": "$14.69", "vendor": "$12.01", "rate": "55%"}
    assert {k: pro["rebill_split"][k] for k in ("net", "commission", "vendor")} == {
        "net": "$8.96", "commission": "$4.93", "vendor": "$4.03"}
    assert (mug["initial"], mug["frequency"], mug["shipping"], mug["rebill_split"]) == (
        "15.00 EUR", "One payment (not recurring)", "Ships to AT, DE", None)
    assert {k: mug["initial_split"][k] for k in ("net", "commission", "vendor")} == {   # 1388 - 100; 10% of 1288
        "net": "12.88 EUR", "commission": "1.29 EUR", "vendor": "11.59 EUR"}


def test_r8_a_rejection_needs_a_reason_and_emails_it_to_the_vendor(session, desk):
    products.create_product(session, now=WED, actor=desk["owner"], sku="NEWPRO", account="acme", title="New Pro",
                            kind="digital", currency="USD", initial_price_cents=2995, commission_initial_pct=55,
                            commission_rebill_pct=55)
    session.commit()
    with pytest.raises(Invalid):
        staff_products.decide(session, now=WED, actor=desk["staff"], sku="NEWPRO", approve=False, reason="  no ")
    with pytest.raises(Forbidden):
        staff_products.decide(session, now=WED, actor=desk["owner"], sku="NEWPRO", approve=False,
                              reason="Misleading title")
    session.rollback()
    staff_products.decide(session, now=WED, actor=desk["staff"], sku="NEWPRO", approve=False,
                          reason="The title promises results the terms do not deliver.")
    session.commit()
    mail = session.exec(select(EmailOutbox).where(EmailOutbox.kind == "product_rejected")).one()
    assert mail.to_addr == "owner@acme.test" and mail.subject == "Your product NEWPRO was not approved"
    assert "The reason: The title promises results the terms do not deliver." in bodies(mail)[0]
    assert products.get_product(session, "NEWPRO").status == "rejected"
    assert session.exec(select(AuditLog.detail).where(AuditLog.action == "product.reject_reason")).one()["reason"] \
        == "The title promises results the terms do not deliver."
    assert staff_products.review_queue(session, actor=desk["staff"]) == []


def test_r3_escalations_show_the_customers_words_and_the_thread(session, desk):
    t = tickets.open_ticket(session, now=WED, order=desk["order"], type="refund", who=tickets.CUSTOMER,
                            opener=Opener.CUSTOMER, comment="Please refund, it does not work.")
    session.commit()
    vendor = tickets.Acting(Party.VENDOR, desk["owner"])
    tickets.change_type(session, now=WED + timedelta(minutes=5), ticket=t, who=vendor, type="tech_support",
                        customer_consent=True)
    session.commit()
    tickets.escalate(session, now=WED + timedelta(hours=1), ticket=t,
                     comment="The vendor changed my refund without asking me.")
    session.commit()
    [row] = staff_desk.escalations(session, actor=desk["staff"])
    assert (row["id"], row["receipt"], row["customer"], row["escalation_text"]) == (
        t.id, desk["order"].receipt, "Buyer <buyer@example.test>", "The vendor changed my refund without asking me.")
    assert [(m["author"], m["body"]) for m in row["thread"]][0] == ("Customer", "Please refund, it does not work.")
    assert row["thread"][-1]["body"] == "The vendor changed my refund without asking me."
    with pytest.raises(Forbidden):
        staff_desk.escalations(session, actor=desk["owner"])


def test_the_email_gallery_renders_each_kind_from_a_ticket_in_that_state(session, desk):
    t = tickets.open_ticket(session, now=WED, order=desk["order"], type="tech_support", who=tickets.CUSTOMER,
                            opener=Opener.CUSTOMER, comment="It does not start.")
    session.commit()
    by_kind = {s["kind"]: s for s in staff_samples.samples(session, actor=desk["staff"])}
    assert list(by_kind) == ["ticket_opened", "reply", "ticket_changed", "ticket_closed", "inactivity_warning",
                             "refund_confirmation", "cancel_confirmation"]
    assert by_kind["ticket_opened"]["source"] == f"From ticket #{t.id} (technical support, open)."
    assert "Status: open" in by_kind["ticket_opened"]["text"]
    assert by_kind["ticket_closed"]["html"] == ""               # no closed ticket yet: nothing untrue is shown
    assert by_kind["ticket_closed"]["source"].startswith("No ticket is a ticket closed by the customer or the vendor")
    tickets.close(session, now=WED + timedelta(hours=1), ticket=t, who=tickets.CUSTOMER)
    session.commit()
    closed = {s["kind"]: s for s in staff_samples.samples(session, actor=desk["staff"])}["ticket_closed"]
    assert closed["source"] == f"From ticket #{t.id} (technical support, closed, customer)."
    assert "Status: closed (customer)" in closed["text"]
    with pytest.raises(Forbidden):
        staff_samples.samples(session, actor=desk["owner"])
