"""Settings in a real browser (R9, issue 5): the owner sets contacts, reminder days and an
INS URL with a secret, sends a test notification, and watches it arrive signed at a
receiver and show as delivered in the log; a bad time zone is refused with a sentence."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.models import VendorAccount
from cbportal.services.delivery import ins
from tests.utils.browser import login

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((body, self.headers[ins.SIGNATURE_HEADER]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/ins", got
    server.shutdown()


def test_owner_configures_ins_and_sends_a_test(page: Page, base_url, app_server, receiver):
    url, got = receiver
    login(page, base_url, "owner@acme.test", "owner-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/settings")
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("time zone")

    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_label("Phone").fill("+1 555 0100")
    page.get_by_label("Pre-rebill reminder days").fill("5")
    page.get_by_label("INS URL").fill(url)
    page.get_by_label("INS secret").fill("e2e-secret")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")
    with Session(make_engine(app_server["database_url"])) as s:
        acme = s.exec(select(VendorAccount).where(VendorAccount.nickname == "acme")).one()
        assert (acme.contact_phone, acme.reminder_days, acme.ins_url, acme.ins_secret) == (
            "+1 555 0100", 5, url, "e2e-secret")

    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_role("status")).to_contain_text("TEST notification is queued")
    row = page.get_by_test_id("ins-row").first
    for _ in range(20):                                   # the worker delivers within a second or two
        page.get_by_role("button", name="Refresh").click()
        if "delivered" in row.inner_text():
            break
        page.wait_for_timeout(500)
    expect(row).to_contain_text("delivered")
    expect(row).to_contain_text("HTTP 200")
    body, signature = got[-1]
    assert json.loads(body)["event"] == "TEST" and signature == ins.sign("e2e-secret", body)

    page.get_by_label("INS URL").fill("")                 # leave acme as the other tests expect it
    page.get_by_label("Pre-rebill reminder days").fill("3")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")


def test_a_clerk_sees_settings_read_only(page: Page, base_url):
    login(page, base_url, "clerk@acme.test", "clerk-demo")
    expect(page).to_have_url(f"{base_url}/vendor")
    page.goto(f"{base_url}/vendor/settings")
    expect(page.get_by_text("Only the account owner can change settings.")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_be_disabled()
    expect(page.get_by_role("button", name="Send test")).to_have_count(0)
