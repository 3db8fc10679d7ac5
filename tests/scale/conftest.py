"""The app as it runs at scale: PostgreSQL, Reflex state in Redis (REFLEX_REDIS_URL),
several backend worker processes behind one port (GRANIAN_WORKERS), and the worker in a
process of its own. Redis and PostgreSQL are required under CI; elsewhere a missing
server skips these tests. They run in their own pytest run (see the Makefile): this app
builds the frontend again, which must not happen under the one-process app's feet."""

from __future__ import annotations

import os
import subprocess

import pytest
import redis

from tests.conftest import IN_CI
from tests.e2e.server import PY, ROOT, app_env, running_app, stop
from tests.utils.browser import browser_type_launch_args  # noqa: F401  (fixture: the same Chromium settings)

REDIS_URL = os.environ.get("CBPORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKEND_PROCESSES = 3


@pytest.fixture(scope="session")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        if IN_CI or "CBPORTAL_TEST_REDIS_URL" in os.environ:
            pytest.fail(f"Redis is required here but not reachable at {REDIS_URL}: {error}")
        pytest.skip("Redis not reachable")
    return REDIS_URL


@pytest.fixture(scope="session")
def scale_server(tmp_path_factory, postgres_database, redis_url):
    var = tmp_path_factory.mktemp("scale")
    env = app_env(var, postgres_database, REFLEX_REDIS_URL=redis_url, GRANIAN_WORKERS=str(BACKEND_PROCESSES),
                  CBPORTAL_WORKER="0")
    with running_app(env, var) as app, open(var / "worker.log", "w") as log:
        worker = subprocess.Popen([PY, "-m", "cbportal.cli", "worker"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield {"url": env["CBPORTAL_BASE_URL"], "env": env, "database_url": postgres_database,
                   "app_pid": app.pid, "worker_pid": worker.pid, "redis_url": redis_url}
        finally:
            stop(worker)


@pytest.fixture(scope="session")
def base_url(scale_server):
    return scale_server["url"]
