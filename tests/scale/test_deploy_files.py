"""The deploy files stay true (issue 19 point 6): the scale setup is started from
deploy/cbportal.env and the ExecStartPre/ExecStart lines of deploy/systemd/*.service (only
the site-specific values are replaced: paths, database, Redis, port, one app process to
keep it cheap); `cbportal doctor` passes on that environment, /readyz says ready (schema
at head, Redis reachable, the separate worker's heartbeat fresh), and SIGTERM stops the
app and the worker within 5 s each.

This file sorts before test_live_multiprocess.py, so its app (which builds the frontend)
has stopped before the scale server builds it again."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.server import PY, ROOT, free_port, stop

pytestmark = [pytest.mark.scale]
DEPLOY = ROOT / "deploy"
INSTALL_DIR = "/opt/cbportal"


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def unit(path: Path, instance: str = "1") -> dict[str, list[str]]:
    """`Key=value` lines of the [Service] section (repeated keys kept in order), %i filled in."""
    lines: dict[str, list[str]] = {}
    section = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            lines.setdefault(key, []).append(value.replace("%i", instance))
    return lines


def command(line: str) -> list[str]:
    """An Exec line with this checkout in place of the install folder."""
    venv_bin = str(Path(PY).parent)
    return [part.replace(f"{INSTALL_DIR}/.venv/bin", venv_bin).replace(INSTALL_DIR, str(ROOT))
            for part in shlex.split(line)]


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def stopped_within(proc: subprocess.Popen, seconds: float) -> float:
    """SIGTERM to every process of the group (systemd's KillMode=control-group); the time
    until the last of them (server, its workers) has exited."""
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(seconds + 10)
    while time.monotonic() - started < seconds + 10:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    return time.monotonic() - started


def test_the_scale_setup_starts_from_the_deploy_files(tmp_path, postgres_database, redis_url):
    app_unit, worker_unit = unit(DEPLOY / "systemd" / "cbportal-app.service"), \
        unit(DEPLOY / "systemd" / "cbportal-worker@.service")
    assert app_unit["WorkingDirectory"] == worker_unit["WorkingDirectory"] == [INSTALL_DIR]
    assert app_unit["EnvironmentFile"] == worker_unit["EnvironmentFile"] == ["/etc/cbportal/cbportal.env"]
    values = env_file(DEPLOY / "cbportal.env")
    assert values["CBPORTAL_WORKER"] == "0" and values["REFLEX_REDIS_URL"] and int(values["GRANIAN_WORKERS"]) > 1
    port = free_port()
    site = {"DATABASE_URL": postgres_database, "REFLEX_REDIS_URL": redis_url, "CBPORTAL_PORT": str(port),
            "CBPORTAL_BASE_URL": f"http://127.0.0.1:{port}", "CBPORTAL_VAR_DIR": str(tmp_path),
            "CBPORTAL_SECRET": "a" * 64, "CBPORTAL_MAIL": "folder", "GRANIAN_WORKERS": "1"}
    assert set(site) <= set(values)  # only values the file has are replaced
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CBPORTAL_", "REFLEX_", "GRANIAN_"))},
           **values, **site}
    for assignment in app_unit.get("Environment", []):
        key, _, value = assignment.partition("=")
        env[key] = command(value)[0] if key != "PATH" else \
            f"{ROOT / '.tools' / 'bin'}:{Path(PY).parent}:{os.environ.get('PATH', '')}"

    for line in app_unit["ExecStartPre"]:
        run = subprocess.run(command(line), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
    doctor = subprocess.run([str(Path(PY).parent / "cbportal"), "doctor"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "ok    redis:" in doctor.stdout and "FAIL" not in doctor.stdout

    with open(tmp_path / "app.log", "w") as app_log, open(tmp_path / "worker.log", "w") as worker_log:
        app = subprocess.Popen(command(app_unit["ExecStart"][0]), cwd=ROOT, env=env, stdout=app_log,
                               stderr=subprocess.STDOUT, start_new_session=True)
        worker = subprocess.Popen(command(worker_unit["ExecStart"][0]), cwd=ROOT, env=env, stdout=worker_log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 400
            status, body = 0, {}
            while status != 200:
                assert app.poll() is None, (tmp_path / "app.log").read_text()[-3000:]
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
                assert time.monotonic() < deadline, f"not ready: {body}"
                with contextlib.suppress(OSError):
                    status, body = get(f"http://127.0.0.1:{port}/readyz")
                time.sleep(1)
            assert body["checks"]["redis"]["configured"] is True
            assert body["checks"]["worker"]["in_process"] is False and body["checks"]["worker"]["alive"] == 1
            assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
            worker_took = stopped_within(worker, 5)
            app_took = stopped_within(app, 5)
        finally:
            stop(worker)
            stop(app)
    assert worker.returncode == 0 and worker_took < 5, f"worker took {worker_took:.1f} s"
    assert app_took < 5, f"app took {app_took:.1f} s"
    print(f"deploy files: ready, then SIGTERM: worker stopped in {worker_took:.2f} s, app in {app_took:.2f} s")
