"""`cbportal doctor` (issue 19 point 4): checks the configuration and the services it points
at and says what is wrong in plain words; exits 1 when something must be fixed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cbportal.db import make_engine
from cbportal.migrations import upgrade
from cbportal.ops import heartbeat

ROOT = Path(__file__).resolve().parents[2]


def doctor(tmp_path: Path, **env) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CBPORTAL_", "SMTP_", "STRIPE_", "REFLEX_REDIS",
                                                                     "GRANIAN_", "DATABASE_URL"))}
    run = subprocess.run([sys.executable, "-m", "cbportal.cli", "doctor"], cwd=ROOT, capture_output=True, text=True,
                         env={**base, "PYTHONPATH": str(ROOT), "CBPORTAL_VAR_DIR": str(tmp_path / "var"), **env},
                         timeout=120)
    return run.returncode, run.stdout + run.stderr


def test_a_laptop_setup_is_healthy_once_migrated_and_a_worker_ran(tmp_path):
    code, out = doctor(tmp_path)
    assert code == 1
    assert "FAIL  schema: the database has no schema yet; run `cbportal migrate`" in out

    url = f"sqlite:///{tmp_path / 'var' / 'cbportal.db'}"
    upgrade(url)
    code, out = doctor(tmp_path)
    assert code == 0, out
    assert "warn  worker: no worker has ever run against this database; start the worker inside the app" in out
    heartbeat.beat(make_engine(url))
    code, out = doctor(tmp_path)
    assert code == 0 and "ok    worker: 1 worker(s) alive" in out
    assert out.strip().endswith("cbportal doctor: 0 problem(s), 0 warning(s)")


@pytest.mark.parametrize("env, expected", [
    ({"CBPORTAL_PAYMENTS": "paypal"},
     "FAIL  settings: CBPORTAL_PAYMENTS must be one of sandbox, stripe, not 'paypal'. The app will not start until "
     "this is fixed."),
    ({"DATABASE_URL": "postgresql://cbportal@127.0.0.1:1/cbportal"},
     "FAIL  database: cannot reach the database at 127.0.0.1:1/cbportal: "),
    ({"CBPORTAL_MAIL": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "1"},
     "FAIL  mail: cannot use the SMTP server at 127.0.0.1:1: "),
    ({"REFLEX_REDIS_URL": "redis://127.0.0.1:1/0"}, "FAIL  redis: cannot reach Redis at 127.0.0.1:1: "),
    ({"GRANIAN_WORKERS": "3"},
     "FAIL  app processes: GRANIAN_WORKERS=3 without REFLEX_REDIS_URL: each process would keep its own page state"),
    ({"CBPORTAL_PAYMENTS": "stripe", "STRIPE_API_KEY": "pk_test_123", "STRIPE_PUBLISHABLE_KEY": "pk_test_abc"},
     "FAIL  payments: STRIPE_API_KEY does not look like a Stripe secret key (it should start with sk_ or rk_)"),
    ({"CBPORTAL_SECRET": "short"}, "warn  secret: CBPORTAL_SECRET is shorter than 32 characters"),
    ({"CBPORTAL_BASE_URL": "http://support.example.com"},
     "warn  base URL: http://support.example.com is public but not https"),
])
def test_what_is_wrong_in_plain_words(tmp_path, env, expected):
    upgrade(f"sqlite:///{tmp_path / 'var' / 'cbportal.db'}")
    code, out = doctor(tmp_path, **env)
    assert expected in out, out
    assert code == (1 if expected.startswith("FAIL") else 0), out
    assert "Traceback" not in out
