"""Inbound email (issue 17, docs/inbound-email.md) over real SMTP and LMTP sessions:
the receiver (aiosmtpd, ops/mail_in_server.py) on loopback, smtplib as the sending mail
server, on SQLite and PostgreSQL. Replies to ticket emails become comments (R3, R4),
legacy refund/cancel addresses open tickets as the customer, everything else gets a
rate-limited auto-reply, automatic mail is ignored, hostile input bounces."""

from __future__ import annotations

import smtplib
import socket
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlmodel import Session, select

from cbportal.models import EmailOutbox, InboundMail, Opener, Party, Ticket, TicketComment, TicketType
from cbportal.ops.mail_in_server import start
from cbportal.services.delivery import mail, mail_addresses, mail_in
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets.lifecycle import CUSTOMER
from tests import factories

DOMAIN = "mail.cbportal.test"
BUYER = "buyer@example.test"


@pytest.fixture
def mail_domain(monkeypatch):
    from cbportal.settings import get_settings

    monkeypatch.setenv("CBPORTAL_MAIL_IN_DOMAIN", DOMAIN)
    get_settings.cache_clear()
    yield DOMAIN
    monkeypatch.delenv("CBPORTAL_MAIL_IN_DOMAIN")
    get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receiver(engine, clock, mail_domain):
    """The receiver on a free loopback port, speaking SMTP (or LMTP: `receiver.lmtp`)."""
    servers = []

    def run(lmtp: bool = False):
        port = _free_port()
        servers.append(start(engine, clock, host="127.0.0.1", port=port, lmtp=lmtp,
                             config=mail_in.Config.from_settings()))
        return port

    run.port = run()
    yield run
    for server in servers:
        server.stop()


@pytest.fixture
def world(session, engine, clock, mail_domain):
    now = clock.now()
    acct, owner = factories.account(session, now)
    prod = factories.product(session, now, owner, acct)
    order = factories.order(session, engine, clock, prod, acct, paid_at=now - timedelta(days=2), email=BUYER)
    session.commit()
    return {"account": acct, "owner": owner, "order": order, "receipt": order.receipt}


def send(port, *, to, sender=BUYER, subject="Hello", body="Hi", headers=None, envelope_sender=None,
         attachments=(), message_id=None):
    msg = EmailMessage()
    msg["From"] = f"Buyer <{sender}>" if sender else ""
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(msg, from_addr=sender if envelope_sender is None else envelope_sender, to_addrs=[to])


def open_ticket(engine, clock, order, kind="tech_support") -> int:
    with Session(engine) as s:
        from cbportal.models import Order

        t = tickets.open_ticket(s, now=clock.now(), order=s.get(Order, order.id), type=kind, who=CUSTOMER,
                                opener=Opener.CUSTOMER, comment="My download link does not work.")
        s.commit()
        return t.id


def comments(engine, ticket_id):
    with Session(engine) as s:
        return [(str(c.author), c.body) for c in s.exec(select(TicketComment).where(
            TicketComment.ticket_id == ticket_id).order_by(TicketComment.id))]


def outbox(engine, kind="mail_in_reply"):
    with Session(engine) as s:
        return list(s.exec(select(EmailOutbox).where(EmailOutbox.kind == kind).order_by(EmailOutbox.id)))


def inbound(engine):
    with Session(engine) as s:
        return [(r.recipient, r.outcome, r.note) for r in s.exec(select(InboundMail).order_by(InboundMail.id))]


QUOTED = """Thanks, that fixed it.

Best,
Jane
--
Jane Buyer | Example Inc.

On Wed, Jan 7, 2026 at 3:00 PM cbportal <noreply@cbportal.test> wrote:
> A technical support ticket was opened on order R0000001.
> My download link does not work.
"""


def test_ticket_emails_carry_a_signed_reply_to_per_party(engine, clock, world):
    ticket_id = open_ticket(engine, clock, world["order"])
    rows = outbox(engine, "ticket_opened")
    from cbportal.settings import get_settings

    secret = get_settings().secret
    assert {r.to_addr: r.reply_to for r in rows} == {
        BUYER: mail_addresses.ticket_address(secret, DOMAIN, ticket_id, "customer"),
        "support@acme.test": mail_addresses.ticket_address(secret, DOMAIN, ticket_id, "vendor")}
    message = mail.to_message(rows[0], "cbportal <noreply@cbportal.test>")
    assert message["Reply-To"] == rows[0].reply_to and message["Auto-Submitted"] == "auto-generated"
    assert "Or reply to this email" in mail.bodies(rows[0])[0]
    # A forged signature is just another address.
    forged = f"ticket+{ticket_id}.c{'0' * 16}@{DOMAIN}"
    assert mail_addresses.classify(secret, DOMAIN, forged).kind == "other"
    assert mail_addresses.classify(secret, DOMAIN, rows[0].reply_to.upper()).kind == "ticket"


def test_r3_replies_by_email_become_comments_without_quote_or_signature(engine, clock, world, receiver):
    ticket_id = open_ticket(engine, clock, world["order"])
    customer_addr, vendor_addr = (r.reply_to for r in outbox(engine, "ticket_opened"))
    send(receiver.port, to=customer_addr, subject="Re: [Ticket #1] A technical support ticket", body=QUOTED)
    send(receiver.port, to=vendor_addr, sender="support@acme.test", subject="Re: ticket",
         body="Glad to hear it!\n\n-- \nAcme support\n\nOn Wed, Jan 7, 2026 someone wrote:\n> Thanks, that fixed it.\n")
    assert comments(engine, ticket_id) == [("customer", "My download link does not work."),
                                           ("customer", "Thanks, that fixed it."),
                                           ("vendor", "Glad to hear it!")]
    # Each comment sent the R4 reply email like a comment on the page: to the other party, and
    # to the author too except a customer (who is not mailed their own words back, issue 15).
    assert sorted(r.to_addr for r in outbox(engine, "reply")) == ["buyer@example.test", "support@acme.test",
                                                                  "support@acme.test"]
    assert [o for _, o, _ in inbound(engine)] == ["comment", "comment"]


def test_a_reply_from_another_sender_is_not_added_and_is_answered(engine, clock, world, receiver):
    ticket_id = open_ticket(engine, clock, world["order"])
    customer_addr, vendor_addr = (r.reply_to for r in outbox(engine, "ticket_opened"))
    send(receiver.port, to=customer_addr, sender="intruder@example.test", body="Refund me now")
    send(receiver.port, to=vendor_addr, sender=BUYER, body="Pretending to be the vendor")
    assert comments(engine, ticket_id) == [("customer", "My download link does not work.")]
    replies = outbox(engine)
    assert [r.to_addr for r in replies] == ["intruder@example.test", BUYER]
    assert "accepted only from the address you bought with" in mail.bodies(replies[0])[0]
    assert mail.to_message(replies[0], "x@y.test")["Auto-Submitted"] == "auto-replied"


def test_a_reply_to_a_closed_ticket_is_answered_not_added(engine, clock, world, receiver):
    ticket_id = open_ticket(engine, clock, world["order"])
    customer_addr = outbox(engine, "ticket_opened")[0].reply_to
    with Session(engine) as s:
        tickets.close(s, now=clock.now(), ticket=s.get(Ticket, ticket_id), who=CUSTOMER)
        s.commit()
    send(receiver.port, to=customer_addr, body="One more thing")
    assert len(comments(engine, ticket_id)) == 1
    assert f"Ticket #{ticket_id} is closed" in mail.bodies(outbox(engine)[0])[0]


def test_attachments_are_listed_never_opened_or_kept(engine, clock, world, receiver, tmp_path):
    ticket_id = open_ticket(engine, clock, world["order"])
    customer_addr = outbox(engine, "ticket_opened")[0].reply_to
    send(receiver.port, to=customer_addr, body="Screenshot attached.",
         attachments=[("screen.png", b"\x89PNG" + b"0" * 3000, "image/png"),
                      ("run-me.exe", b"MZ" + b"\x90" * 100, "application/octet-stream")])
    assert comments(engine, ticket_id)[-1] == ("customer", "Screenshot attached.\n\nAttachments sent by email "
                                               "(listed only; they were not opened or kept):\n"
                                               "- screen.png (image/png, 3 KB)\n"
                                               "- run-me.exe (application/octet-stream, 1 KB)")


def test_legacy_refund_address_opens_the_ticket_as_the_customer(engine, clock, world, receiver):
    receipt = world["receipt"]
    send(receiver.port, to=f"refund+acme@{DOMAIN}", subject=f"Refund for order {receipt.lower()}",
         body="Please refund me, it is not what I expected.")
    with Session(engine) as s:
        ticket = s.exec(select(Ticket)).one()
        assert (ticket.type, str(ticket.opened_by)) == (TicketType.REFUND, "customer")
        # R3: a customer's refund waits 24 business hours (Wed 15:00 UTC -> Thu 15:00 UTC).
        assert ticket.process_at == clock.now() + timedelta(hours=24)
    assert comments(engine, ticket.id) == [("customer", "(by email) Please refund me, it is not what I expected.")]
    assert {r.to_addr for r in outbox(engine, "ticket_opened")} == {BUYER, "support@acme.test"}
    # Again while it is open: the R3 error, said in words.
    send(receiver.port, to=f"cancel+acme@{DOMAIN}", subject=f"Cancel {receipt}", body="cancel too")
    assert f"ticket #{ticket.id} is already open on this order" in mail.bodies(outbox(engine)[0])[0]


def test_legacy_address_from_another_sender_explains_the_portal(engine, clock, world, receiver):
    send(receiver.port, to=f"cancel+acme@{DOMAIN}", sender="someone@example.test",
         subject=f"Cancel {world['receipt']}", body="cancel it")
    send(receiver.port, to=f"cancel+acme@{DOMAIN}", sender="other@example.test", subject="Cancel please",
         body="no receipt here")
    with Session(engine) as s:
        assert s.exec(select(Ticket)).first() is None
    first, second = outbox(engine)
    assert first.to_addr == "someone@example.test"
    assert "only from the address the order was bought with" in mail.bodies(first)[0]
    assert "/portal" in mail.bodies(first)[0]
    assert "could not find a receipt number of acme" in mail.bodies(second)[0]


def test_other_mail_gets_a_helpful_auto_reply_at_most_three_a_day(engine, clock, world, receiver):
    for n in range(5):
        send(receiver.port, to=f"info@{DOMAIN}", sender="curious@example.test", subject=f"Question {n}")
    replies = outbox(engine)
    assert [r.subject for r in replies] == ["Re: Question 0", "Re: Question 1", "Re: Question 2"]
    assert "not read by a person" in mail.bodies(replies[0])[0] and "/portal" in mail.bodies(replies[0])[0]
    assert [o for _, o, _ in inbound(engine)] == ["auto_reply"] * 3 + ["reply_suppressed"] * 2
    clock.set(clock.now() + timedelta(hours=24))
    send(receiver.port, to=f"info@{DOMAIN}", sender="curious@example.test", subject="Next day")
    assert outbox(engine)[-1].subject == "Re: Next day"


@pytest.mark.parametrize("headers,envelope", [
    ({"Auto-Submitted": "auto-replied"}, None),
    ({}, ""),                                            # a bounce: empty MAIL FROM
    ({"List-Id": "<news.example.test>"}, None),
    ({"Precedence": "bulk"}, None),
    ({"X-Autoreply": "yes"}, None),
], ids=["auto-submitted", "bounce", "list", "precedence", "x-autoreply"])
def test_automatic_mail_is_ignored_no_loop(engine, clock, world, receiver, headers, envelope):
    ticket_id = open_ticket(engine, clock, world["order"])
    customer_addr = outbox(engine, "ticket_opened")[0].reply_to
    send(receiver.port, to=customer_addr, headers=headers, envelope_sender=envelope, body="I am out of office")
    send(receiver.port, to=f"info@{DOMAIN}", headers=headers, envelope_sender=envelope, body="Out of office")
    assert len(comments(engine, ticket_id)) == 1 and outbox(engine) == []
    assert [o for _, o, _ in inbound(engine)] == ["ignored", "ignored"]


def test_mailer_daemon_and_our_own_auto_reply_are_ignored(engine, clock, world, receiver):
    send(receiver.port, to=f"info@{DOMAIN}", sender="MAILER-DAEMON@example.test", body="Undeliverable")
    assert outbox(engine) == []
    # cbportal's own auto-reply coming back (a forwarding loop) is recognised too.
    send(receiver.port, to=f"info@{DOMAIN}", sender="person@example.test", body="hello")
    reply = mail.to_message(outbox(engine)[0], "cbportal <noreply@cbportal.test>")
    with smtplib.SMTP("127.0.0.1", receiver.port) as client:
        client.send_message(reply, from_addr="noreply@cbportal.test", to_addrs=[f"info@{DOMAIN}"])
    assert len(outbox(engine)) == 1
    assert [o for _, o, _ in inbound(engine)][-1] == "ignored"


def test_a_message_delivered_twice_is_acted_on_once(engine, clock, world, receiver):
    ticket_id = open_ticket(engine, clock, world["order"])
    customer_addr = outbox(engine, "ticket_opened")[0].reply_to
    for _ in range(2):
        send(receiver.port, to=customer_addr, body="Only once please", message_id="<same@example.test>")
    assert [b for _, b in comments(engine, ticket_id)].count("Only once please") == 1
    assert [o for _, o, _ in inbound(engine)] == ["comment"]   # the second delivery: "duplicate", not recorded


def test_lmtp_session_works_like_smtp(engine, clock, world, receiver):
    ticket_id = open_ticket(engine, clock, world["order"])
    customer_addr = outbox(engine, "ticket_opened")[0].reply_to
    port = receiver(lmtp=True)
    with smtplib.LMTP("127.0.0.1", port) as client:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = BUYER, customer_addr, "Re: ticket"
        msg.set_content("Sent over LMTP")
        assert client.send_message(msg, from_addr=BUYER, to_addrs=[customer_addr]) == {}
    assert comments(engine, ticket_id)[-1] == ("customer", "Sent over LMTP")


def _raw_session(port, raw: bytes, rcpt=f"info@{DOMAIN}", sender=BUYER):
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail(sender)
        client.rcpt(rcpt)
        return client.data(raw)


def test_hostile_input_bounces(engine, clock, world, receiver):
    port = receiver.port
    too_big = b"From: " + BUYER.encode() + b"\r\nSubject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 5400
    assert _raw_session(port, too_big) == (552, b"Error: Too much mail data")
    code, text = _raw_session(port, b"From: a@example.test\r\nFrom: b@example.test\r\nSubject: x\r\n\r\nhi\r\n")
    assert (code, text) == (554, b"5.6.0 Message refused: more than one From header")
    code, text = _raw_session(port, b"From: a@example.test\r\nSubject: x\x00y\r\n\r\nhi\r\n")
    assert code == 554 and b"NUL" in text
    code, _ = _raw_session(port, b"From: a@example.test\r\nSubject: x\rBcc: victim@example.test\r\n\r\nhi\r\n")
    assert code == 554
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(400))
    code, text = _raw_session(port, b"From: a@example.test\r\n" + many + b"\r\nhi\r\n")
    assert code == 554 and b"header lines" in text
    with pytest.raises(smtplib.SMTPRecipientsRefused) as relay:
        send(port, to="victim@elsewhere.test")
    assert relay.value.recipients["victim@elsewhere.test"][0] == 550
    assert outbox(engine) == [] and inbound(engine) == []


def test_a_subject_with_line_breaks_never_reaches_a_header(engine, clock, world, receiver):
    raw = (f"From: {BUYER}\r\nTo: info@{DOMAIN}\r\nSubject: =?utf-8?q?Hi=0D=0ABcc:_victim@example.test?=\r\n\r\n"
           f"hello\r\n").encode()
    assert _raw_session(receiver.port, raw)[0] == 250
    reply = outbox(engine)[0]
    message = mail.to_message(reply, "cbportal <noreply@cbportal.test>")
    assert message["Bcc"] is None and "\n" not in message["Subject"]
    assert message["Subject"] == "Re: Hi Bcc: victim@example.test"


def test_reply_parsing_keeps_a_plain_message_whole():
    parsed = mail_in.parse(b"From: a@example.test\r\nSubject: x\r\n\r\nLine one\r\n\r\nLine two\r\n",
                           envelope_sender="a@example.test")
    assert parsed.text == "Line one\n\nLine two" and mail_in.loop_reason(parsed) is None
    assert Party.CUSTOMER.value == "customer"
