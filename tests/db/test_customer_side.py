"""The customer's side (issue 15): what a buyer is told after paying (confirmation and
receipt email), the sale notice's links, a declined first payment, the order page's
summary, the ticket timeline in words and the customer's time zone, and the words of
every error a customer can see (no snake_case code names, no R<n> rule numbers)."""

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from cbportal.models import EmailOutbox, Opener, Order, VendorAccount
from cbportal.services.billing import checkout, purchase, transactions
from cbportal.services.billing.gateways import PaymentInput
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core import countries
from cbportal.services.core.errors import Conflict
from cbportal.services.delivery import links
from cbportal.services.delivery.mail import bodies
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets import thread as ticket_thread
from cbportal.settings import get_settings
from tests.utils.billing import buy, move, product, utc

DECLINING = PaymentInput(type="card", card_number="4000000000009995", exp_month=1, exp_year=2030)
CODE_WORDS = re.compile(r"\b[a-z]+_[a-z_]+\b|\bR\d+\b")


def outbox(shop, kind):
    with Session(shop["engine"]) as s:
        return s.exec(select(EmailOutbox).where(EmailOutbox.kind == kind).order_by(EmailOutbox.id)).all()


def test_receipt_email_says_what_was_paid_the_terms_the_order_link_and_how_to_get_help(shop):
    product(shop, "PRO12", initial=2995, rebill=995, rebills=11)
    receipt = buy(shop, "PRO12", utc(2026, 1, 15, 10))
    [mail] = outbox(shop, "receipt")
    s = get_settings()
    order_url = links.customer_order_url(s.base_url, s.secret, receipt, "buyer@example.test")
    text = bodies(mail)[0]
    assert mail.to_addr == "buyer@example.test" and mail.subject == f"Your receipt {receipt}"
    assert f"Receipt number: {receipt}" in text
    assert "You paid $29.95." in text
    assert "Recurring terms: $9.95 monthly, 11 payments after the first, the first on 15 February 2026." in text
    assert "Next charge: $9.95 on 15 February 2026." in text
    assert f"Open a ticket here: {order_url}" in text
    assert "Need help, a refund or to cancel? Open a ticket on your order page" in text
    assert "Vendor contact: support@shop.test" in text           # the customer-service address (R4)
    assert f'href="{order_url.replace("&", "&amp;")}"' in bodies(mail)[1]
    assert not CODE_WORDS.search(text.replace(order_url, ""))


def test_vendor_contact_falls_back_to_the_account_address(shop):
    with Session(shop["engine"]) as s:
        account = s.get(VendorAccount, shop["account_id"])
        assert purchase.contact_words(account) == "support@shop.test"
        account.customer_service_email, account.contact_phone = None, "+1 555 0100"
        assert purchase.contact_words(account) == "owner@shop.test · +1 555 0100"


def test_sale_notice_links_to_the_order_window_and_create_ticket(shop):
    product(shop, "PRO12", initial=2995, rebill=995, rebills=11)
    receipt = buy(shop, "PRO12", utc(2026, 1, 15, 10))
    [mail] = outbox(shop, "sale_notice")
    base = get_settings().base_url
    assert mail.to_addr == "owner@shop.test"
    assert f"Open the order: {base}/vendor/orders?receipt={receipt}" in bodies(mail)[0]
    assert f"Create a ticket for it: {base}/vendor/tickets?receipt={receipt}" in bodies(mail)[0]
    assert "Recurring terms: $9.95 monthly, 11 payments after the first" in bodies(mail)[0]


def test_purchase_summary_of_a_free_trial(shop):
    product(shop, "TRIAL", initial=0, rebill=1500, trial=14)
    receipt = buy(shop, "TRIAL", utc(2026, 1, 15, 10))
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        view = purchase.summary(s, order, base_url="", secret="k")
    assert view["paid"] == "Nothing was charged today (14-day free trial)."
    assert (view["next_charge"], view["next_charge_due"]) == ("$15.00 on 29 January 2026", True)
    assert view["status"] == "Active: $15.00 monthly."
    assert view["order_url"] == links.customer_order_url("", "k", receipt, "buyer@example.test")
    assert view["card_url"] == links.card_update_url("", "k", receipt, "buyer@example.test")


def test_a_declined_first_payment_leaves_no_order_in_the_vendors_list(shop):
    product(shop, "PRO", initial=1000, rebill=1000)
    kept = buy(shop, "PRO", utc(2026, 1, 10, 9))
    with pytest.raises(Conflict) as refused:
        buy(shop, "PRO", utc(2026, 1, 10, 10), payment=DECLINING)
    assert refused.value.code == "payment_declined"
    with Session(shop["engine"]) as s:
        found = transactions.search(s, actor=shop["owner"])
        csv_text = transactions.export_csv(s, actor=shop["owner"]) if hasattr(transactions, "export_csv") else ""
        failed = s.exec(select(Order).where(Order.status == "failed")).all()
    assert [r["receipt"] for r in found["rows"]] == [kept] and found["total"] == 1
    assert len(failed) == 1 and failed[0].receipt not in csv_text    # recorded, but not shown as an order


def test_customer_form_problems_are_sentences_per_field():
    ask = checkout.customer_problems
    assert ask(checkout.CustomerInput("", "", "")) == {
        "email": "Enter your email address: your receipt and order link go there.",
        "name": "Enter your name as it should appear on the receipt.",
        "country": "Choose the country you live in."}
    assert ask(checkout.CustomerInput("buyer@", "Buyer", "DE")) == {
        "email": "This does not look like an email address. Check it for typing errors."}
    assert ask(checkout.CustomerInput("b@example.test", "Buyer", "XX")) == {
        "country": "Choose the country you live in."}
    assert ask(checkout.CustomerInput("b@example.test", "Buyer", "DE")) == {}


def test_countries_by_name_from_pycountry():
    names = dict(countries.choices())
    assert names["DE"] == "Germany" and names["GE"] == "Georgia" and names["US"] == "United States"
    assert [n for _, n in countries.choices()] == sorted(names.values())
    assert len(names) >= 249


def test_ticket_timeline_in_words_and_in_the_customers_zone(shop):
    product(shop, "PRO", initial=1000, rebill=1000)
    receipt = buy(shop, "PRO", utc(2026, 1, 12, 9))                 # a Monday
    at = utc(2026, 1, 12, 10)
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        ticket = tickets.open_ticket(s, now=at, order=order, type="refund", who=tickets.CUSTOMER,
                                     opener=Opener.CUSTOMER, comment="It does not start.")
        tickets.reply(s, now=utc(2026, 1, 12, 11), ticket=ticket, who=tickets.Acting(tickets.Party.VENDOR,
                                                                                       shop["owner"]), body="Try this.")
        tickets.change_type(s, now=utc(2026, 1, 12, 12), ticket=ticket, who=tickets.CUSTOMER, type="tech_support")
        s.commit()
        rows = ticket_thread.timeline(s, ticket, zone="Europe/Berlin")
    assert [(r["kind"], r["author"], r["body"], r["at"]) for r in rows] == [
        ("action", "You", "You opened this ticket as a refund request.", "12 Jan 2026, 11:00"),
        ("comment", "You", "It does not start.", "12 Jan 2026, 11:00"),
        ("comment", "The vendor", "Try this.", "12 Jan 2026, 12:00"),
        ("action", "You", "You changed this ticket from a refund request to a technical support ticket.",
         "12 Jan 2026, 13:00"),
    ]
    assert ticket_thread.zone_or_utc("Not/AZone") == "UTC" and ticket_thread.zone_or_utc("") == "UTC"
    assert ticket_thread.local_words(datetime(2026, 7, 1, 12, tzinfo=UTC), "America/New_York") == \
        "1 Jul 2026, 08:00"


def test_a_customers_own_reply_is_not_mailed_back_to_them(shop):
    product(shop, "PRO", initial=1000, rebill=1000)
    receipt = buy(shop, "PRO", utc(2026, 1, 12, 9))
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        ticket = tickets.open_ticket(s, now=utc(2026, 1, 12, 10), order=order, type="tech_support",
                                     who=tickets.CUSTOMER, opener=Opener.CUSTOMER, comment="Help")
        tickets.reply(s, now=utc(2026, 1, 12, 11), ticket=ticket, who=tickets.CUSTOMER, body="Any news?")
        s.commit()
        assert [m.to_addr for m in outbox(shop, "reply")] == ["support@shop.test"]
        tickets.reply(s, now=utc(2026, 1, 12, 12), ticket=ticket,
                      who=tickets.Acting(tickets.Party.VENDOR, shop["owner"]), body="Yes: fixed.")
        s.commit()
    assert [m.to_addr for m in outbox(shop, "reply")][1:] == ["buyer@example.test", "support@shop.test"]


def test_ticket_email_subjects_end_at_a_word():
    from cbportal.services.tickets.mail import WHY, subject_words

    assert subject_words(WHY["inactivity_warning"]) == "Nothing has happened on this ticket for a while"
    long = "word " * 40
    cut = subject_words(long.strip())
    assert cut.endswith("word…") and len(cut) <= 101


def test_receipts_as_a_print_view_and_a_pdf_behind_the_signed_link(shop):
    from cbportal.api import receipts

    product(shop, "PRO12", initial=2995, rebill=995, rebills=11)
    receipt = buy(shop, "PRO12", utc(2026, 1, 15, 10))
    secret = get_settings().secret
    view_url, pdf_url = links.receipt_urls("", secret, receipt, "buyer@example.test", 1)
    sig = links.signature(secret, "order", receipt, "buyer@example.test")
    assert view_url == f"/api/v1/customer/orders/{receipt}/bills/1/receipt?email=buyer%40example.test&sig={sig}"
    assert pdf_url == view_url.replace("/receipt?", "/receipt.pdf?")
    page = receipts.receipt_page(receipt, 1, "buyer@example.test", sig).body.decode()
    assert f"<h1>Receipt {receipt}-1</h1>" in page
    for label, value in (("Date", "15 January 2026"), ("Payment", "First payment"), ("Amount", "$29.95"),
                         ("Status", "Paid"), ("Customer", "Buyer &lt;buyer@example.test&gt;"),
                         ("Vendor contact", "support@shop.test")):
        assert f"<tr><th>{label}</th><td>{value}</td></tr>" in page
    pdf = receipts.receipt_pdf(receipt, 1, "buyer@example.test", sig)
    assert pdf.media_type == "application/pdf" and pdf.body.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"] == f'attachment; filename="receipt-{receipt}-1.pdf"'
    from cbportal.services.core.errors import NotFound
    for args in ((receipt, 1, "buyer@example.test", "forged"), (receipt, 2, "buyer@example.test", sig),
                 (receipt, 1, "other@example.test", sig)):
        with pytest.raises(NotFound):
            receipts.receipt_page(*args)


def test_my_orders_link_is_emailed_only_to_an_address_with_orders_and_lists_them(shop):
    from datetime import timedelta

    from cbportal.services.billing import my_orders

    product(shop, "PRO", initial=1000, rebill=1000)
    product(shop, "EBOOK", initial=500, rebill=500, rebills=1)
    first = buy(shop, "PRO", utc(2026, 1, 10, 9))
    second = buy(shop, "EBOOK", utc(2026, 1, 11, 9))
    with pytest.raises(Conflict):
        buy(shop, "PRO", utc(2026, 1, 11, 10), payment=DECLINING)       # not an order: not listed
    s_ = get_settings()
    now = utc(2026, 1, 12, 9)
    with Session(shop["engine"]) as s:
        assert my_orders.request_link(s, now=now, email="nobody@example.test", base_url="", secret=s_.secret) is False
        assert my_orders.request_link(s, now=now, email=" Buyer@Example.test ", base_url="http://x",
                                      secret=s_.secret) is True
        s.commit()
        again = my_orders.request_link(s, now=now + timedelta(minutes=5), email="buyer@example.test", base_url="",
                                       secret=s_.secret)
        assert again is False                                          # once per 10 minutes
        rows = my_orders.order_list(s, email="buyer@example.test", secret=s_.secret)
    [mail] = outbox(shop, "my_orders")
    assert mail.to_addr == "buyer@example.test"
    assert links.my_orders_url("http://x", s_.secret, "buyer@example.test") in bodies(mail)[0]
    assert [(r["receipt"], r["title"], r["date"], r["status"]) for r in rows] == [
        (second, "EBOOK", "11 January 2026", "paid"), (first, "PRO", "10 January 2026", "paid")]
    assert rows[0]["url"] == links.customer_order_url("", s_.secret, second, "buyer@example.test")
    sig = links.signature(s_.secret, "orders", "all", "buyer@example.test")
    assert links.check_my_orders_signature(s_.secret, "buyer@example.test", sig)
    assert not links.check_my_orders_signature(s_.secret, "other@example.test", sig)


def test_the_buyers_browser_zone_is_kept_for_their_emails(shop):
    from cbportal.models import Customer

    product(shop, "PRO", initial=1000, rebill=1000)
    gw = SandboxGateway(shop["engine"], shop["clock"])
    move(shop, utc(2026, 1, 10, 9))
    for email, zone in (("berlin@example.test", "Europe/Berlin"), ("bogus@example.test", "Mars/Olympus"),
                        ("none@example.test", None)):
        checkout.checkout(shop["engine"], now=utc(2026, 1, 10, 9), gateway=gw, sku="PRO",
                          customer=checkout.CustomerInput(email, "B", "DE"),
                          payment=PaymentInput(type="card", card_number="4242424242424242", exp_month=12,
                                               exp_year=2030), time_zone=zone)
    with Session(shop["engine"]) as s:
        zones = {c.email: c.time_zone for c in s.exec(select(Customer))}
    assert (zones["berlin@example.test"], zones["bogus@example.test"], zones["none@example.test"]) == \
        ("Europe/Berlin", None, None)
