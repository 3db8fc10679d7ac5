"""INS (RULES R9): events written with the change, delivered signed to the vendor's URL,
retried with backoff on failure, every attempt logged."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import Session, select

from cbportal.models import InsDelivery, InsOutbox
from cbportal.services.delivery import ins
from tests import factories

T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def receiver(ins_private):
    """A loopback receiver (allowed only with CBPORTAL_INS_ALLOW_PRIVATE=1, R9)."""
    got, answers = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((body, self.headers[ins.SIGNATURE_HEADER]))
            self.send_response(answers.pop(0) if answers else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/ins", got, answers
    server.shutdown()


def test_r9_signed_delivery_with_retries_and_log(session, engine, receiver):
    url, got, answers = receiver
    acct, _ = factories.account(session, T0)
    acct.ins_url, acct.ins_secret = url, "s3cret"
    session.add(acct)
    ins.emit(session, now=T0, account=acct, event="SALE", payload={"receipt": "R1", "amount_cents": 2995})
    session.commit()
    answers.append(500)
    assert ins.deliver_due(engine, T0) == 0                     # the receiver failed: kept for a retry
    assert ins.deliver_due(engine, T0 + timedelta(seconds=30)) == 0   # not before the backoff
    assert ins.deliver_due(engine, T0 + timedelta(minutes=1)) == 1
    body, signature = got[-1]
    assert signature == ins.sign("s3cret", body)
    assert json.loads(body) | {"at": None} == {"event": "SALE", "account": "acme", "receipt": "R1",
                                               "amount_cents": 2995, "at": None}
    with Session(engine) as s:
        assert [d.status_code for d in s.exec(select(InsDelivery).order_by(InsDelivery.id))] == [500, 200]
        assert s.exec(select(InsOutbox)).one().delivered_at == T0 + timedelta(minutes=1)


def test_r9_no_url_no_event(session):
    acct, _ = factories.account(session, T0)
    assert ins.emit(session, now=T0, account=acct, event="BILL", payload={}) is None


def test_r9_send_test_and_the_delivery_log(session, engine, receiver):
    """Settings' "send test": a TEST event for the owner only, delivered and shown in the log."""
    from cbportal.models import Role
    from cbportal.services.core.errors import Conflict, Forbidden, NotFound
    from cbportal.services.delivery import ins_admin

    url, got, answers = receiver
    acct, owner = factories.account(session, T0)
    other, stranger = factories.account(session, T0, nickname="other")
    clerk = factories.clerk(session, T0, acct, roles=tuple(Role))
    session.commit()
    with pytest.raises(Conflict, match="INS URL"):
        ins_admin.send_test(session, now=T0, actor=owner, nickname="acme")
    acct.ins_url, acct.ins_secret = url, "s3cret"
    session.add(acct)
    session.commit()
    with pytest.raises(Forbidden):
        ins_admin.send_test(session, now=T0, actor=clerk, nickname="acme")
    with pytest.raises(NotFound):
        ins_admin.send_test(session, now=T0, actor=stranger, nickname="acme")
    with pytest.raises(NotFound):
        ins_admin.delivery_log(session, actor=stranger, nickname="acme")
    ins_admin.send_test(session, now=T0, actor=owner, nickname="acme")
    session.commit()
    assert ins_admin.delivery_log(session, actor=owner, nickname="acme")[0] | {"id": 0} == {
        "id": 0, "event": "TEST", "created_at": "2026-01-05 00:00:00", "attempts": 0, "state": "queued",
        "last_result": "", "duration_ms": 0}
    answers.append(503)
    ins.deliver_due(engine, T0)
    session.commit()  # a new read transaction sees the worker's commit
    assert [(r["state"], r["attempts"], r["last_result"]) for r in
            ins_admin.delivery_log(session, actor=owner, nickname="acme")] == [("retrying", 1, "HTTP 503")]
    ins.deliver_due(engine, T0 + timedelta(minutes=1))
    session.commit()  # a new read transaction sees the worker's commit
    assert [(r["state"], r["attempts"], r["last_result"]) for r in
            ins_admin.delivery_log(session, actor=owner, nickname="acme")] == [("delivered", 2, "HTTP 200")]
    assert json.loads(got[-1][0])["event"] == "TEST"
