"""Emails are stored as kind, template and parameters and rendered at delivery (issue 12,
deliverable 1): the business transaction writes no rendered text, every kind renders at
delivery exactly as it rendered in the transaction before, what was sent is recorded on the
row, and rows queued before migration 0014 (already rendered) are still delivered."""

from datetime import UTC, date, datetime
from email import message_from_bytes

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from alembic import command
from cbportal.db import make_engine
from cbportal.migrations import alembic_config, upgrade
from cbportal.models import EmailOutbox
from cbportal.services.delivery import email_samples, mail

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SENDER = "cbportal <noreply@cbportal.test>"


def _rows(engine) -> list[EmailOutbox]:
    with Session(engine) as s:
        return list(s.exec(select(EmailOutbox).order_by(EmailOutbox.id)))


def _plain_part(path) -> str:
    return message_from_bytes(path.read_bytes()).get_payload(0).get_payload(decode=True).decode()


def test_every_kind_renders_at_delivery_byte_for_byte_as_in_the_transaction(engine, tmp_path, monkeypatch):
    """The email samples' example writes every kind through the real services. Each call of
    `mail.queue` is also rendered there and then, the way it was done in the transaction
    before; the row read back from the database (parameters through JSON) renders the same
    bytes, before delivery (`bodies`) and as recorded after it."""
    at_queue: list[tuple[str, str]] = []
    queue = mail.queue

    def queue_and_render_now(session, *, template="base", **kw):
        context = {k: v for k, v in kw.items() if k not in ("now", "kind", "to", "subject", "account_id",
                                                             "order_id", "ticket_id", "reply_to")}
        at_queue.append(mail.render(template, **context))
        return queue(session, template=template, **kw)

    monkeypatch.setattr(mail, "queue", queue_and_render_now)
    email_samples._example(engine, "http://cbportal.test", "example-secret")

    rows = _rows(engine)
    assert sorted({r.kind for r in rows}) == sorted(mail.KINDS)
    assert len(rows) == len(at_queue) == 28
    assert all(r.body_text is None and r.body_html is None and r.template and r.params for r in rows)
    assert [mail.bodies(r) for r in rows] == at_queue
    assert {r.template for r in rows} == {"base", "receipt", "sale_notice", "ticket"}

    assert mail.deliver_due(engine, now=T0.replace(year=2027), transport=mail.FolderTransport(tmp_path),
                            sender=SENDER) == 28
    sent = _rows(engine)
    assert [(r.body_text, r.body_html) for r in sent] == at_queue
    assert all(r.sent_at is not None for r in sent)
    files = sorted(tmp_path.glob("*.eml"), key=lambda p: int(p.name.split("-")[1]))
    assert [_plain_part(p) for p in files] == [text.replace("\r\n", "\n") for text, _ in at_queue]


@pytest.mark.parametrize("value, named", [
    (datetime(2026, 1, 5, tzinfo=UTC), "email parameter when is a datetime"),
    (date(2026, 1, 5), "email parameter when is a date"),
    (("a", "b"), "email parameter when is a tuple"),
    (9.95, "email parameter when is a float"),
    ({"lines": [{1: "x"}]}, "email parameter when.lines[0] has a key 1 that is not text"),
])
def test_parameters_that_json_would_change_are_refused_in_the_transaction(session, value, named):
    with pytest.raises(TypeError, match=named.replace("[", r"\[").replace("]", r"\]")):
        mail.queue(session, now=T0, kind="receipt", to="buyer@example.test", subject="Hi", why="Why", when=value)
    assert list(session.new) == []


def test_an_unknown_template_is_refused_in_the_transaction(session):
    with pytest.raises(ValueError, match="unknown email template 'recept'"):
        mail.queue(session, now=T0, kind="receipt", to="buyer@example.test", subject="Hi", template="recept")


def test_a_row_that_cannot_be_rendered_is_kept_and_retried(engine, tmp_path):
    """A template gone by delivery time (a later release) fails like a mail server that is
    down: the row waits with the error, nothing is sent, nothing is recorded as sent."""
    with Session(engine) as s:
        row = mail.queue(s, now=T0, kind="receipt", to="buyer@example.test", subject="Hi", why="Why", lines=[])
        row.template = "removed_later"
        s.commit()
    assert mail.deliver_due(engine, now=T0, transport=mail.FolderTransport(tmp_path), sender=SENDER) == 0
    [row] = _rows(engine)
    assert row.sent_at is None and row.body_text is None and row.attempts == 1
    assert row.last_error.startswith("TemplateNotFound: 'removed_later.txt' not found in search path")
    assert list(tmp_path.iterdir()) == []


def test_a_row_rendered_before_migration_0014_is_delivered_from_its_bodies(tmp_path):
    """A database with an unsent, already-rendered email upgraded to 0014: the email keeps
    its bodies, `bodies` reads them and delivery sends them unchanged."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0013")
    old = create_engine(url)
    with old.begin() as conn:
        conn.execute(text("INSERT INTO email_outbox (kind, to_addr, subject, body_text, body_html, created_at, "
                          "next_attempt_at, attempts) VALUES ('receipt', 'old@example.test', 'Your receipt', "
                          "'Rendered in 2026\n', '<p>Rendered in 2026</p>', :at, :at, 0)"),
                     {"at": "2026-01-05 09:00:00.000000"})
    old.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        [row] = _rows(engine)
        assert (row.template, row.params) == (None, None)
        assert mail.bodies(row) == ("Rendered in 2026\n", "<p>Rendered in 2026</p>")
        outbox = tmp_path / "outbox"
        assert mail.deliver_due(engine, now=T0, transport=mail.FolderTransport(outbox), sender=SENDER) == 1
        [sent] = _rows(engine)
        assert (sent.body_text, sent.body_html) == ("Rendered in 2026\n", "<p>Rendered in 2026</p>")
        assert _plain_part(next(outbox.glob("*.eml"))) == "Rendered in 2026\n"
    finally:
        engine.dispose()
