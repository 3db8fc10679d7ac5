"""INS URLs reach only public addresses and the delivery log leaks nothing (RULES R9;
issue: http://169.254.169.254/…, loopback ports and local services were accepted, and the
log showed an SMTP banner and "connection refused" per port)."""

import contextlib
import socket
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import Session, select

from cbportal.models import InsDelivery, InsOutbox
from cbportal.services.accounts import accounts
from cbportal.services.core.errors import Invalid
from cbportal.services.delivery import ins, ins_admin, outbound
from tests import factories

T0 = datetime(2026, 1, 5, tzinfo=UTC)

INTERNAL = ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:25/", "http://localhost:8080/x",
            "http://10.0.0.5/ins", "http://192.168.1.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/", "http://100.64.0.1/", "http://[fe80::1]/"]


@pytest.mark.parametrize("url", INTERNAL)
def test_r9_settings_refuse_internal_addresses(session, url, ins_private):
    ins_private(False)
    acct, owner = factories.account(session, T0)
    with pytest.raises(Invalid) as refused:
        accounts.update_settings(session, now=T0, actor=owner, nickname="acme", ins_url=url)
    assert refused.value.code == "ins_url_not_public"
    assert refused.value.message == ("the INS URL must lead to a public internet address, not a local or "
                                     "private network")


@pytest.mark.parametrize("url,code", [("ftp://example.com/x", "invalid_url"),
                                      ("http://user:pw@example.com/", "invalid_url"),
                                      ("https://no-such-host.invalid/ins", "ins_url_not_public")])
def test_r9_settings_refuse_other_bad_urls(session, url, code, ins_private):
    ins_private(False)
    acct, owner = factories.account(session, T0)
    with pytest.raises(Invalid) as refused:
        accounts.update_settings(session, now=T0, actor=owner, nickname="acme", ins_url=url)
    assert refused.value.code == code


def test_r9_addresses_judged_after_resolution():
    assert outbound.address_allowed("93.184.216.34", allow_private=False)
    assert outbound.address_allowed("2606:2800:220:1:248:1893:25c8:1946", allow_private=False)
    assert not outbound.address_allowed("127.0.0.1", allow_private=False)
    assert outbound.address_allowed("127.0.0.1", allow_private=True)
    assert not outbound.address_allowed("169.254.169.254", allow_private=True)  # metadata: never
    with pytest.raises(outbound.OutboundRefused) as refused:
        outbound.check_url("http://localhost:9/", allow_private=False)    # a name resolving to loopback
    assert refused.value.code == "address_not_public"


def _queued(session, url):
    acct, owner = factories.account(session, T0)
    acct.ins_url, acct.ins_secret = url, "s3cret"       # saved earlier (e.g. while the name was public)
    session.add(acct)
    ins.emit(session, now=T0, account=acct, event="TEST", payload={})
    session.commit()
    return owner


def _log(engine, owner):
    with Session(engine) as s:
        return [(r["state"], r["last_result"]) for r in ins_admin.delivery_log(s, actor=owner, nickname="acme")]


@pytest.fixture
def banner_server():
    """A local service that is not HTTP: answers every connection with an SMTP banner."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    seen = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            seen.append(1)
            conn.sendall(b"220 localhost Python SMTP secret-banner 1.0\r\n")
            conn.settimeout(2)
            with contextlib.suppress(OSError):
                conn.recv(65536)          # like an SMTP server: wait for the client's command
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], seen
    listener.close()


def test_r9_delivery_refuses_an_internal_address_without_connecting(session, engine, banner_server, ins_private):
    ins_private(False)
    port, seen = banner_server
    owner = _queued(session, f"http://127.0.0.1:{port}/ins")
    assert ins.deliver_due(engine, T0) == 0
    assert seen == []
    assert _log(engine, owner) == [("retrying", "refused: the URL does not lead to a public address")]
    with Session(engine) as s:
        assert [d.error for d in s.exec(select(InsDelivery))] == ["address_not_public"]


def test_r9_the_log_never_shows_what_another_host_answered(session, engine, banner_server, ins_private):
    port, seen = banner_server                       # allowed (test setting), but not an HTTP server
    owner = _queued(session, f"http://127.0.0.1:{port}/ins")
    assert ins.deliver_due(engine, T0) == 0
    assert seen == [1]
    assert _log(engine, owner) == [("retrying", "the answer was not HTTP")]
    with Session(engine) as s:
        rows = s.exec(select(InsDelivery)).all()
        assert [(d.status_code, d.error) for d in rows] == [(None, "not_http")]


def test_r9_a_closed_port_is_a_plain_connect_failure(session, engine, ins_private):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    owner = _queued(session, f"http://127.0.0.1:{port}/ins")
    ins.deliver_due(engine, T0)
    assert _log(engine, owner) == [("retrying", "could not connect")]


def test_r9_redirects_are_not_followed(session, engine, ins_private):
    hits = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        owner = _queued(session, f"http://127.0.0.1:{server.server_port}/ins")
        assert ins.deliver_due(engine, T0) == 0
    finally:
        server.shutdown()
    assert hits == ["/ins"]
    assert _log(engine, owner) == [("retrying", "HTTP 302")]
    with Session(engine) as s:
        assert s.exec(select(InsOutbox)).one().delivered_at is None
