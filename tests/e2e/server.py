"""Starting the app for browser tests the way `make run` serves it: `reflex run --env prod
--single-port` on a free loopback port, migrated and loaded with demo data first."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(var: Path, database_url: str, **extra: str) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CBPORTAL_PORT": str(port), "CBPORTAL_BASE_URL": base, "CBPORTAL_VAR_DIR": str(var),
           "DATABASE_URL": database_url, "CBPORTAL_TEST_MODE": "1", "CBPORTAL_INS_ALLOW_PRIVATE": "1",
           "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
           "PATH": f"{ROOT / '.tools' / 'bin'}:{Path(PY).parent}:{os.environ.get('PATH', '')}"}
    env.pop("REFLEX_REDIS_URL", None)
    env.update(extra)
    return env


def stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_app(env: dict, var: Path):
    """Migrate, load the demo, serve; yield the process; stop it (and its workers) at the end."""
    subprocess.run([PY, "-m", "cbportal.cli", "migrate"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "-m", "cbportal.cli", "demo"], cwd=ROOT, env=env, check=True)
    base = env["CBPORTAL_BASE_URL"]
    with open(var / "server.log", "w") as log:
        proc = subprocess.Popen([str(Path(PY).parent / "reflex"), "run", "--env", "prod", "--single-port"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.time() + 300
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the app exited: {(var / 'server.log').read_text()[-3000:]}")
                try:
                    with urllib.request.urlopen(f"{base}/", timeout=2) as r, \
                            urllib.request.urlopen(f"{base}/ping", timeout=2):
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.time() > deadline:
                    pytest.fail(f"the app did not start: {(var / 'server.log').read_text()[-3000:]}")
                time.sleep(1)
            yield proc
        finally:
            stop(proc)
