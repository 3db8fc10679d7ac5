"""Browser tests: the app as `make run` serves it (production build, one port), on a
fresh SQLite database with demo data, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Start `reflex run --env prod --single-port` on a free loopback port; yield its URL and env."""
    var = tmp_path_factory.mktemp("var")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CBPORTAL_PORT": str(port), "CBPORTAL_BASE_URL": base, "CBPORTAL_VAR_DIR": str(var),
           "DATABASE_URL": f"sqlite:///{var / 'e2e.db'}", "CBPORTAL_TEST_MODE": "1",
           "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
           "PATH": f"{ROOT / '.tools' / 'bin'}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    env.pop("REFLEX_REDIS_URL", None)
    py = sys.executable
    subprocess.run([py, "-m", "cbportal.cli", "migrate"], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "-m", "cbportal.cli", "demo"], cwd=ROOT, env=env, check=True)
    log = open(var / "server.log", "w")
    proc = subprocess.Popen([str(Path(py).parent / "reflex"), "run", "--env", "prod", "--single-port"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 300
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app exited: {(var / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/", timeout=2) as r:
                    if r.status == 200:
                        with urllib.request.urlopen(f"{base}/ping", timeout=2):
                            break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail(f"the app did not start: {(var / 'server.log').read_text()[-3000:]}")
            time.sleep(1)
        yield {"url": base, "env": env, "database_url": env["DATABASE_URL"]}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def base_url(app_server):
    return app_server["url"]
