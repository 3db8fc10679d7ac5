"""Email outbox delivery (R4) and the worker's test clock (R2): due work runs in time
order, failed deliveries are kept and retried with backoff, SMTP on loopback."""

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from sqlmodel import Session, select

from cbportal.models import EmailOutbox
from cbportal.services.core.clock import ClockMovedBackwards, StoredClock
from cbportal.services.delivery import mail
from cbportal.services.engine import worker

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def queue(engine, at, kind="receipt", to="buyer@example.test", **context):
    with Session(engine) as s:
        # a kind outside R4's list is only a label here: the email is a receipt named by its subject
        row = mail.queue(s, now=at, kind=kind if kind in mail.KINDS else "receipt", to=to, subject=f"{kind} subject",
                         why="Why you get this", lines=context.get("lines", ["Hello"]))
        s.commit()
        return row.id


class Broken:
    def send(self, message, row):
        raise ConnectionRefusedError("smtp down")


def test_r4_user_text_is_escaped_in_html_not_in_text():
    text, html = mail.render("base", why="Reply", lines=["<script>alert(1)</script>"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "<script>alert(1)</script>" in text


def test_folder_delivery_writes_eml_with_both_parts(engine, tmp_path):
    queue(engine, T0)
    assert mail.deliver_due(engine, now=T0, transport=mail.FolderTransport(tmp_path), sender="x@y.test") == 1
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    msg = message_from_bytes(files[0].read_bytes())
    assert msg["To"] == "buyer@example.test"
    assert [p.get_content_type() for p in msg.walk()][1:] == ["text/plain", "text/html"]
    assert mail.deliver_due(engine, now=T0, transport=mail.FolderTransport(tmp_path), sender="x@y.test") == 0


def test_failed_delivery_is_kept_and_retried_with_backoff(engine, tmp_path):
    outbox_id = queue(engine, T0)
    assert mail.deliver_due(engine, now=T0, transport=Broken(), sender="x@y.test") == 0
    with Session(engine) as s:
        row = s.get(EmailOutbox, outbox_id)
        assert row.sent_at is None and row.attempts == 1 and "smtp down" in row.last_error
        assert row.next_attempt_at == T0 + timedelta(minutes=1)
    # not due again before the backoff
    assert mail.deliver_due(engine, now=T0 + timedelta(seconds=30), transport=mail.FolderTransport(tmp_path),
                            sender="x@y.test") == 0
    assert mail.deliver_due(engine, now=T0 + timedelta(minutes=1), transport=mail.FolderTransport(tmp_path),
                            sender="x@y.test") == 1


def test_smtp_delivery_to_aiosmtpd_on_loopback(engine):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        queue(engine, T0, to="vendor@acme.test")
        sent = mail.deliver_due(engine, now=T0, transport=mail.SmtpTransport("127.0.0.1", port),
                                sender="noreply@cbportal.test")
    finally:
        controller.stop()
    assert sent == 1
    assert received[0].rcpt_tos == ["vendor@acme.test"]


def test_r2_test_clock_stops_at_each_due_instant_in_order(engine, tmp_path, monkeypatch):
    seen = []

    class Recorder:
        def send(self, message, row):
            seen.append((row.subject.split()[0], StoredClock(engine).now()))

    monkeypatch.setattr(mail, "transport_from_settings", lambda: Recorder())
    with Session(engine) as s:
        StoredClock.move(s, T0)
        s.commit()
    queue(engine, T0 + timedelta(hours=5), kind="second")
    queue(engine, T0 + timedelta(hours=1), kind="first")
    queue(engine, T0 + timedelta(days=3), kind="later")
    processed = worker.advance_test_clock(engine, T0 + timedelta(days=1))
    assert processed == 2
    assert seen == [("first", T0 + timedelta(hours=1)), ("second", T0 + timedelta(hours=5))]
    assert StoredClock(engine).now() == T0 + timedelta(days=1)
    with pytest.raises(ClockMovedBackwards):
        worker.advance_test_clock(engine, T0)


def test_two_deliverers_never_send_the_same_email_twice(engine, tmp_path):
    for i in range(20):
        queue(engine, T0, kind=f"k{i}")
    transport = mail.FolderTransport(tmp_path)
    first = mail.deliver_due(engine, now=T0, transport=transport, sender="x@y.test")
    second = mail.deliver_due(engine, now=T0, transport=transport, sender="x@y.test")
    assert first + second == 20 and len(list(tmp_path.glob("*.eml"))) == 20
    with Session(engine) as s:
        assert all(r.attempts == 1 for r in s.exec(select(EmailOutbox)))
