"""`cbportal doctor`: checks the configuration and every service it points at, and says
what is wrong in plain words. Each check gives `ok`, `warn` or `FAIL` and one sentence;
the command exits 1 when anything failed."""

from __future__ import annotations

import os
import smtplib
import socket
import tempfile
from dataclasses import dataclass
from urllib.parse import urlsplit

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass
class Finding:
    status: str
    topic: str
    sentence: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.topic}: {self.sentence}"


def _where(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return database_url.split("sqlite:///", 1)[-1]
    parts = urlsplit(database_url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def _error(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]


def run_checks(env: dict | None = None) -> list[Finding]:
    from cbportal.ops.config import ops_settings
    from cbportal.settings import SettingsError, load_settings

    env = os.environ if env is None else env
    found: list[Finding] = []
    try:
        settings = load_settings()
        ops = ops_settings()
    except SettingsError as error:
        return [Finding(FAIL, "settings", f"{error}. The app will not start until this is fixed.")]
    found.append(Finding(OK, "settings", "every setting has a valid value"))

    # the var folder and the secret
    try:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.var_dir):
            pass
        found.append(Finding(OK, "data folder", f"{settings.var_dir} is writable"))
    except OSError as error:
        found.append(Finding(FAIL, "data folder", f"cannot write to {settings.var_dir} ({_error(error)}); "
                             "give the service user write access or set CBPORTAL_VAR_DIR"))
    if len(settings.secret) < 32:
        found.append(Finding(WARN, "secret", "CBPORTAL_SECRET is shorter than 32 characters; customer links are "
                             "only as safe as it is long (try: openssl rand -hex 32)"))
    else:
        where = "CBPORTAL_SECRET" if env.get("CBPORTAL_SECRET") else f"{settings.var_dir / 'secret.key'}"
        found.append(Finding(OK, "secret", f"customer links are signed with the secret from {where}; keep it "
                             "in your backups"))

    # the database, its schema, the workers
    from cbportal.db import make_engine
    from cbportal.ops.http import check_database, check_migrations, check_worker

    engine = make_engine(settings.database_url, **({} if settings.is_sqlite else
                                                    {"connect_args": {"connect_timeout": 5}}))
    try:
        check_database(engine)
        found.append(Finding(OK, "database", f"{_where(settings.database_url)} answers"))
        migrations = check_migrations(engine)
        if migrations["ok"]:
            found.append(Finding(OK, "schema", f"at the code's version ({migrations['head']})"))
        else:
            found.append(Finding(FAIL, "schema", f"{migrations['detail']} (database at {migrations['current']}, "
                                 f"code at {migrations['head']})"))
        if migrations["ok"]:
            worker = check_worker(engine, ops.worker_stale_seconds, settings.run_worker)
            if worker["ok"]:
                found.append(Finding(OK, "worker", f"{worker['alive']} worker(s) alive, last beat "
                                     f"{worker['last_beat_seconds_ago']} s ago"))
            else:
                found.append(Finding(WARN, "worker", worker["detail"] + "; until one runs, no refund, rebill, "
                                     "email or INS message goes out"))
    except Exception as error:  # noqa: BLE001 - reported in words
        found.append(Finding(FAIL, "database", f"cannot reach the database at {_where(settings.database_url)}: "
                             f"{_error(error)}"))
    finally:
        engine.dispose()

    # several processes
    processes = env.get("GRANIAN_WORKERS", "1")
    if processes.isdigit() and int(processes) > 1 and not settings.redis_url:
        found.append(Finding(FAIL, "app processes", f"GRANIAN_WORKERS={processes} without REFLEX_REDIS_URL: each "
                             "process would keep its own page state and browsers would lose theirs; set "
                             "REFLEX_REDIS_URL"))
    if settings.is_sqlite and ((processes.isdigit() and int(processes) > 1) or not settings.run_worker):
        found.append(Finding(WARN, "database", "SQLite serves one machine well, but with several processes "
                             "writes wait on one another; use PostgreSQL for the scale setup"))

    # Redis
    if settings.redis_url:
        from cbportal.ops.http import check_redis

        try:
            check_redis(settings.redis_url)
            found.append(Finding(OK, "redis", f"{urlsplit(settings.redis_url).hostname} answers"))
        except Exception as error:  # noqa: BLE001
            found.append(Finding(FAIL, "redis", f"cannot reach Redis at {urlsplit(settings.redis_url).hostname}:"
                                 f"{urlsplit(settings.redis_url).port or 6379}: {_error(error)}"))

    # mail
    if settings.mail == "smtp":
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=5) as smtp:
                smtp.ehlo()
                if settings.smtp_user:
                    if smtp.has_extn("starttls"):
                        smtp.starttls()
                        smtp.ehlo()
                    smtp.login(settings.smtp_user, settings.smtp_password or "")
            found.append(Finding(OK, "mail", f"the SMTP server at {settings.smtp_host}:{settings.smtp_port} "
                                 "accepts us"))
        except Exception as error:  # noqa: BLE001
            found.append(Finding(FAIL, "mail", f"cannot use the SMTP server at {settings.smtp_host}:"
                                 f"{settings.smtp_port}: {_error(error)}; emails wait in the outbox until it works"))
    else:
        found.append(Finding(WARN if _public(settings.base_url) else OK, "mail",
                             f"emails are written as files to {settings.mail_dir}, not sent; set CBPORTAL_MAIL=smtp "
                             "to send them"))

    # payments
    if settings.payments == "stripe":
        key = settings.stripe_api_key or ""
        if not key.startswith(("sk_", "rk_")):
            found.append(Finding(FAIL, "payments", "STRIPE_API_KEY does not look like a Stripe secret key "
                                 "(it should start with sk_ or rk_)"))
        else:
            found.append(Finding(OK, "payments", "Stripe " + ("test" if "_test_" in key else "live") + " key set"))
        if settings.stripe_api_base:
            parts = urlsplit(settings.stripe_api_base)
            try:
                socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                         timeout=5).close()
            except OSError as error:
                found.append(Finding(FAIL, "payments", f"cannot connect to STRIPE_API_BASE "
                                     f"{settings.stripe_api_base}: {_error(error)}"))
    else:
        found.append(Finding(WARN if _public(settings.base_url) else OK, "payments",
                             "the sandbox gateway is in use: nobody is really charged"))

    # public address, test mode, metrics
    if _public(settings.base_url) and not settings.base_url.startswith("https://"):
        found.append(Finding(WARN, "base URL", f"{settings.base_url} is public but not https; links in emails "
                             "and the login would travel unencrypted"))
    if settings.test_mode:
        found.append(Finding(WARN if _public(settings.base_url) else OK, "test mode",
                             "CBPORTAL_TEST_MODE=1: the test clock and /api/v1/test routes are on; "
                             "never in production"))
    found.append(Finding(OK, "metrics", {"off": "/metrics is off",
                                         "loopback": "/metrics answers direct requests from this machine only",
                                         "token": "/metrics needs the bearer token"}[ops.metrics]))
    return found


def _public(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    return host not in ("localhost", "127.0.0.1", "::1") and not host.endswith(".test")


def main() -> int:
    findings = run_checks()
    for finding in findings:
        print(finding.line())
    failed = sum(f.status == FAIL for f in findings)
    warned = sum(f.status == WARN for f in findings)
    print(f"cbportal doctor: {failed} problem(s), {warned} warning(s)")
    return 1 if failed else 0
