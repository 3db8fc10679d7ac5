"""Screenshots for the README (`make screenshots`): the app on a fresh demo database, in
Chromium at 1280 px, saved to docs/screenshots/. Not a test: it checks nothing."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import app_env, running_app  # noqa: E402
from tests.utils.browser import app_now, monthly_order_with_a_paid_rebill  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def login(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).last.click()
    expect(page).to_have_url(re.compile("/vendor|/staff"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        env = app_env(var, f"sqlite:///{var / 'shots.db'}")
        with running_app(env, var), sync_playwright() as p:
            base = env["CBPORTAL_BASE_URL"]
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.clock.install(time=app_now(base))
            login(page, base, "owner@acme.test", "owner-demo")
            expect(page.get_by_test_id("live-badge")).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=OUT / "dashboard.png", full_page=True)

            page.goto(f"{base}/vendor/reports")
            expect(page.get_by_role("figure")).to_have_count(4)
            page.wait_for_timeout(1500)                       # chart animations
            page.screenshot(path=OUT / "reports.png", full_page=True)

            receipt = monthly_order_with_a_paid_rebill(env["DATABASE_URL"], app_now(base))
            page.goto(f"{base}/vendor/orders")
            page.get_by_label("Receipt").fill(receipt)
            page.get_by_role("button", name="Search").click()
            page.get_by_role("button", name=f"Open order {receipt}").click()
            page.get_by_role("button", name="Manage subscription").click()
            dialog = page.get_by_role("dialog")
            dialog.get_by_role("combobox", name="New product").click()
            page.get_by_role("option", name=re.compile("Acme weekly coaching")).click()
            expect(dialog.get_by_role("note")).to_contain_text("Prorated refund")
            page.wait_for_timeout(500)
            page.screenshot(path=OUT / "manage-subscription.png")
            browser.close()
    print("saved:", ", ".join(sorted(p.name for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
