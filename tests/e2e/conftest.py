"""Browser tests: the app as `make run` serves it (production build, one port), on a
fresh SQLite database with demo data, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import pytest

from tests.e2e.server import app_env, running_app
from tests.utils.browser import browser_type_launch_args  # noqa: F401  (fixture: Debian's Chromium, no sandbox)


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
