"""Browser tests: the app as `make run` serves it (production build, one port), on a
fresh SQLite database with demo data, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.server import app_env, running_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The laptop default: one app process on SQLite, the worker inside it; yields its URL and env."""
    var = tmp_path_factory.mktemp("var")
    env = app_env(var, f"sqlite:///{var / 'e2e.db'}")
    with running_app(env, var):
        yield {"url": env["CBPORTAL_BASE_URL"], "env": env, "database_url": env["DATABASE_URL"]}


@pytest.fixture(scope="session")
def base_url(app_server):
    return app_server["url"]
