"""Email samples for vendors (issue 17 point 4; the ticket article: "You can view a PDF
with samples of all email formats"): every email kind cbportal sends (R4's ticket and
billing kinds, the invitation and the inbound-mail answer), rendered by the real services
from one consistent example, and the whole set as one PDF (xhtml2pdf).

The example lives in a scratch SQLite database of its own, migrated by Alembic and thrown
away after: one vendor ("example", New York), one product ($29.95, then $9.95 a month, 11
payments), one customer (Jane Example), one order, one ticket that goes through its life.
Nothing is written to the application's database; the signatures of links are replaced
by "example" so no sample link opens anything. The result is the same for every caller,
so it is computed once per process."""

from __future__ import annotations

import io
import re
import tempfile
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, select_autoescape
from sqlmodel import Session, select

from cbportal.models import EmailOutbox, Opener, Order, Party, Role, Subscription, User
from cbportal.services.delivery import mail

EXAMPLE_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)   # a Monday, 10:00 in New York
CUSTOMER = ("jane@example.com", "Jane Example", "US")
VENDOR = {"nickname": "example", "time_zone": "America/New_York", "account_email": "owner@example-vendor.com",
          "customer_service_email": "support@example-vendor.com"}
SKU = "EXAMPLE-PRO"
RECEIPT = "K7Q2M9XA"      # the example's receipt in every sample (checkout draws a random one)

LABELS = {
    "ticket_opened": "Ticket opened", "reply": "Reply on a ticket", "ticket_changed": "Ticket changed",
    "ticket_closed": "Ticket closed", "inactivity_warning": "Ticket inactivity warning",
    "refund_confirmation": "Refund confirmation", "cancel_confirmation": "Cancelation confirmation",
    "receipt": "Receipt (customer)", "sale_notice": "Sale notification (vendor)",
    "rebill_reminder": "Upcoming payment reminder", "rebill_notice": "Payment received (rebill)",
    "payment_failed": "Payment failed (after the 3rd try)", "card_invalid": "Card no longer valid",
    "subscription_canceled": "Subscription canceled", "subscription_changed": "Subscription changed",
    "invitation": "Invitation to a new user", "product_rejected": "Product not approved (to the vendor)",
    "my_orders": "Link to all of a customer's orders",
    "mail_in_reply": "Answer to an email cbportal could not act on",
}
GROUPS = {**{k: "Ticket emails" for k in mail.TICKET_KINDS}, **{k: "Billing emails" for k in mail.BILLING_KINDS},
          **{k: "Account emails" for k in mail.ACCOUNT_KINDS}, **{k: "Inbound email" for k in mail.INBOUND_KINDS},
          **{k: "Customer emails" for k in mail.CUSTOMER_KINDS}}


def _example(engine, base_url: str, secret: str) -> str:
    """Run the real services on the example, in order, so each writes its emails."""
    from cbportal.services.accounts import accounts, auth, invitations
    from cbportal.services.billing import charges as billing
    from cbportal.services.billing import checkout, my_orders, products, subscriptions
    from cbportal.services.billing import mail as billing_mail
    from cbportal.services.billing.gateways import PaymentInput
    from cbportal.services.billing.gateways.sandbox import SandboxGateway
    from cbportal.services.core.clock import FixedClock
    from cbportal.services.delivery import mail_in
    from cbportal.services.staff import products as staff_products
    from cbportal.services.tickets import lifecycle as tickets
    from cbportal.services.tickets import mail as ticket_mail

    t0 = EXAMPLE_AT
    with Session(engine) as s:
        staff_user = auth.create_user(s, now=t0, email="staff@cbportal.example", name="Staff", is_staff=True)
        s.flush()
        staff = auth.actor_for(s, staff_user)
        accounts.create_account(s, now=t0, actor=staff, **VENDOR)
        s.flush()
        owner = auth.actor_for(s, s.exec(select(User).where(User.email == VENDOR["account_email"])).one())
        products.create_product(s, now=t0, actor=owner, sku=SKU, account=VENDOR["nickname"],
                                title="Example Pro Membership", kind="digital", currency="USD",
                                initial_price_cents=2995, commission_initial_pct=50, commission_rebill_pct=50,
                                recurring=products.RecurringTerms(995, "month", 1, rebills=11))
        products.decide_product(s, now=t0, actor=staff, sku=SKU, approve=True)
        products.create_product(s, now=t0, actor=owner, sku="EXAMPLE-DRAFT", account=VENDOR["nickname"],
                                title="Example Draft Course", kind="digital", currency="USD",
                                initial_price_cents=4900, commission_initial_pct=50, commission_rebill_pct=50)
        staff_products.decide(s, now=t0, actor=staff, sku="EXAMPLE-DRAFT", approve=False,
                              reason="The sales page promises results no product can guarantee.")
        s.commit()
    clock = FixedClock(t0)
    receipt = checkout.checkout(engine, now=t0, gateway=SandboxGateway(engine, clock), sku=SKU,
                                customer=checkout.CustomerInput(*CUSTOMER),
                                payment=PaymentInput(type="card", card_number="4242424242424242", exp_month=12,
                                                     exp_year=2030, cvc="123"))
    with Session(engine) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        sub = s.exec(select(Subscription).where(Subscription.order_id == order.id)).one()
        first, second = sub.next_bill_date, sub.next_bill_date + timedelta(days=31)
        day = timedelta(days=1)
        billing_mail.send(s, now=t0 + 28 * day, kind="rebill_reminder", order=order, amount_cents=995, date=first)
        billing_mail.send(s, now=t0 + 31 * day, kind="rebill_notice", order=order, amount_cents=995,
                          extra=f"Next payment: {second}.")
        billing_mail.send(s, now=t0 + 39 * day, kind="payment_failed", order=order,
                          extra="Please update your credit card information. We will attempt to rebill you in "
                                "7 days. If this billing fails, your order will be canceled.")
        billing_mail.send(s, now=t0 + 40 * day, kind="card_invalid", order=order, extra="Notice 1 of 4.")
        subscriptions.change_bill_date(s, now=t0 + 2 * day, actor=owner, receipt=receipt, day=first + 5 * day)
        ticket = tickets.open_ticket(s, now=t0 + 3 * day, order=order, type="tech_support", who=tickets.CUSTOMER,
                                     opener=Opener.CUSTOMER,
                                     comment="I can't find the download link for the member area.")
        vendor = tickets.Acting(Party.VENDOR, owner)
        tickets.reply(s, now=t0 + 3 * day + timedelta(hours=2), ticket=ticket, who=vendor,
                      body="Hi Jane, the link is on your member dashboard under Downloads. Does that help?")
        ticket_mail.send(s, now=t0 + 10 * day, kind="inactivity_warning", ticket=ticket)
        tickets.change_type(s, now=t0 + 11 * day, ticket=ticket, who=tickets.CUSTOMER, type="refund")
        ticket_mail.send(s, now=t0 + 12 * day, kind="refund_confirmation", ticket=ticket)
        ticket_mail.send(s, now=t0 + 12 * day, kind="cancel_confirmation", ticket=ticket)
        billing_mail.send(s, now=t0 + 12 * day, kind="subscription_canceled", order=order,
                          extra=billing.CANCEL_REASONS["refund"])
        tickets.close(s, now=t0 + 12 * day, ticket=ticket, who=tickets.CUSTOMER, comment="Thanks, all sorted.")
        invitations.invite(s, now=t0 + day, actor=owner, email="sam@example-vendor.com", name="Sam Clerk",
                           roles={Role.MANAGE_TICKETS}, base_url=base_url, secret=secret)
        raw = (b"From: Jane Example <jane@example.com>\r\nTo: help@mail.example-vendor.com\r\n"
               b"Subject: Where is my order?\r\nMessage-ID: <sample@example.com>\r\n\r\nHello, where is my order?\r\n")
        config = mail_in.Config(secret=secret, domain="mail.example-vendor.com", base_url=base_url)
        mail_in.handle_recipient(s, now=t0 + day, inbound=mail_in.parse(raw, envelope_sender=CUSTOMER[0]), raw=raw,
                                 recipient="help@mail.example-vendor.com", config=config)
        my_orders.request_link(s, now=t0 + day, email=CUSTOMER[0], base_url=base_url, secret=secret)
        s.commit()
    return receipt


def _mask(text: str, receipt: str) -> str:
    return re.sub(r"(sig=)[0-9a-f]{8,}", r"\1example", text).replace(receipt, RECEIPT)


@lru_cache(maxsize=4)
def _render(base_url: str, secret: str) -> tuple[dict, ...]:
    from cbportal.db import make_engine
    from cbportal.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="cbportal-samples-") as folder:
        url = f"sqlite:///{Path(folder) / 'samples.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            receipt = _example(engine, base_url, secret)
            with Session(engine) as s:
                rows = list(s.exec(select(EmailOutbox).order_by(EmailOutbox.created_at, EmailOutbox.id)))
        finally:
            engine.dispose()
    out = []
    for kind in mail.KINDS:
        copies = [r for r in rows if r.kind == kind]
        if not copies:
            raise RuntimeError(f"the email sample example wrote no {kind} email")
        first = copies[0]
        text, html = mail.bodies(first)
        out.append({"kind": kind, "label": LABELS[kind], "group": GROUPS[kind],
                    "subject": _mask(first.subject, receipt), "to": [c.to_addr for c in copies],
                    "html": _mask(html, receipt), "text": _mask(text, receipt)})
    return tuple(out)


def samples() -> list[dict]:
    """One rendered sample per email kind (the first recipient's copy), in R4's order:
    `kind`, `label`, `group`, `subject`, `to` (every recipient of the example), `html`, `text`."""
    from cbportal.settings import get_settings

    s = get_settings()
    return [dict(sample) for sample in _render(s.base_url, s.secret)]


_pdf_env = Environment(autoescape=select_autoescape(default=True))
_PDF_PAGE = _pdf_env.from_string("""<html><head><style>
@page { size: a4 portrait; margin: 1.6cm; }
body { font-family: Helvetica; font-size: 10pt; color: #1a1a1a; }
h1 { font-size: 20pt; } h2 { font-size: 14pt; margin-bottom: 2pt; } .meta { color: #555; font-size: 9pt; }
.sample { border: 1px solid #999; padding: 8pt; }
</style></head><body>
<h1>cbportal email samples</h1>
<p>Every email cbportal sends, rendered from one example: {{ vendor }} sells "Example Pro Membership"
($29.95, then $9.95 a month) to {{ customer }}. Ticket emails go to both the customer and the vendor;
the customer's copy is shown.</p>
<ol>{% for s in samples %}<li>{{ s.label }} ({{ s.group|lower }})</li>{% endfor %}</ol>
{% for s in samples %}<div style="page-break-before: always"></div>
<h2>{{ s.label }}</h2>
<p class="meta">{{ s.group }} · kind {{ s.kind }} · to {{ s.to|join(", ") }}</p>
<p><b>Subject: {{ s.subject }}</b></p>
<div class="sample">{{ s.body|safe }}</div>
{% endfor %}</body></html>""")


def _body(html: str) -> str:
    match = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I)
    return match.group(1) if match else html


def pdf() -> bytes:
    """All samples as one PDF document (a title page with the list, one kind per page)."""
    from xhtml2pdf import pisa

    items = [{**s, "body": _body(s["html"])} for s in samples()]
    source = _PDF_PAGE.render(samples=items, vendor=VENDOR["nickname"], customer=CUSTOMER[1])
    out = io.BytesIO()
    result = pisa.CreatePDF(source, dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError(f"the sample PDF could not be made ({result.err} errors)")
    return out.getvalue()
