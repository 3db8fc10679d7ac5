"""Before/after screenshots for issue 16 (ticket detail, dashboard, transactions) at 1280 px:
`python scripts/issue16_screenshots.py ROOT SUFFIX` serves the checkout at ROOT on a fresh
demo database and saves docs/screenshots/<page>-<SUFFIX>.png here. Run it once on the
commit before the issue ("before") and once on this branch ("after"). Not a test."""

from __future__ import annotations

import json
import re
import sys
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE
SUFFIX = sys.argv[2] if len(sys.argv) > 2 else "after"
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.e2e.server import app_env, running_app  # noqa: E402
from tests.e2e.test_ticket_flow import app_now, refundable_order  # noqa: E402

OUT = HERE / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def post(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{base}/api/v1{path}", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as r:
        return json.loads(r.read())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        env = app_env(var, f"sqlite:///{var / 'shots.db'}")
        with running_app(env, var), sync_playwright() as p:
            base = env["CBPORTAL_BASE_URL"]
            receipt, email = refundable_order(env["DATABASE_URL"], app_now(base))
            ticket = post(base, "/customer/tickets", {"receipt": receipt, "email": email, "type": "refund",
                                                      "comment": "The course videos do not play on my tablet."})
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.clock.install(time=app_now(base))
            page.goto(f"{base}/login")
            page.get_by_label("Email").fill("owner@acme.test")
            page.get_by_label("Password").fill("owner-demo")
            page.get_by_role("button", name="Log in", exact=True).last.click()
            expect(page).to_have_url(re.compile("/vendor"))
            expect(page.get_by_test_id("live-badge")).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=OUT / f"issue16-dashboard-{SUFFIX}.png", full_page=True)

            page.goto(f"{base}/vendor/ticket?id={ticket['id']}")
            expect(page.get_by_role("heading", name=re.compile(r"Ticket #\d+"))).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=OUT / f"issue16-ticket-detail-{SUFFIX}.png", full_page=True)

            page.goto(f"{base}/vendor/orders")
            page.get_by_role("button", name=f"Open order {receipt}").or_(
                page.get_by_role("button", name=re.compile(r"Open order"))).first.click()
            page.wait_for_timeout(1500)
            page.screenshot(path=OUT / f"issue16-transactions-{SUFFIX}.png", full_page=True)
            browser.close()
    print("saved:", ", ".join(sorted(p.name for p in OUT.glob(f"issue16-*-{SUFFIX}.png"))))


if __name__ == "__main__":
    main()
