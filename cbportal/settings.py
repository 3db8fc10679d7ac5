"""Settings from the environment, with embedded defaults for a laptop.

| variable | default | meaning |
| DATABASE_URL | sqlite:///./var/cbportal.db | SQLite file or postgresql+psycopg://... |
| CBPORTAL_PAYMENTS | sandbox | `sandbox` or `stripe` (needs STRIPE_API_KEY) |
| STRIPE_PUBLISHABLE_KEY | (none) | pk_... given to Stripe.js in the browser (needed in stripe mode) |
| STRIPE_JS_URL | https://js.stripe.com/v3/ | Stripe.js for pages (localstripe: http://host:port/js.stripe.com/v3/) |
| CBPORTAL_MAIL | folder | `folder` (./var/mail/*.eml) or `smtp` (SMTP_HOST, SMTP_PORT...) |
| CBPORTAL_TEST_MODE | 0 | 1 = stored test clock and /api/v1/test routes, loopback only |
| CBPORTAL_SECRET | dev secret in ./var | signs customer links |
| CBPORTAL_WORKER | 1 | 1 = run the worker inside the app process |
| REFLEX_REDIS_URL | (none) | Redis for Reflex state when several app processes run |
| CBPORTAL_INS_ALLOW_PRIVATE | 0 | 1 = INS URLs may be loopback/private addresses (tests only) |
| CBPORTAL_MAIL_IN_DOMAIN | (none) | domain of the inbound addresses; set, ticket emails carry a signed Reply-To |
| CBPORTAL_MAIL_IN | 0 | 1 = run the inbound mail receiver inside the app (docs/inbound-email.md) |
| CBPORTAL_MAIL_IN_HOST, _PORT, _PROTOCOL | 127.0.0.1, 2525, smtp | where the receiver listens; `smtp` or `lmtp` |
| CBPORTAL_SANDBOX_LATENCY_MS | 0 | the sandbox gateway waits this long per call (models a real gateway) |
| CBPORTAL_GATEWAY_WINDOW | 32 | gateway calls in flight at once per worker process |
Bad settings fail at start with a clear message (`SettingsError`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    pass


def _flag(name: str, default: str) -> bool:
    raw = os.environ.get(name, default).strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name} must be 1 or 0, not {raw!r}")


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _whole(name: str, default: str, low: int, high: int) -> int:
    raw = os.environ.get(name, default).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Settings:
    database_url: str
    payments: str
    mail: str
    test_mode: bool
    run_worker: bool
    var_dir: Path
    mail_dir: Path
    secret: str
    stripe_api_key: str | None
    stripe_api_base: str | None
    smtp_host: str
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    mail_from: str
    redis_url: str | None
    base_url: str
    stripe_publishable_key: str | None = None
    stripe_js_url: str = "https://js.stripe.com/v3/"
    ins_allow_private: bool = False      # CBPORTAL_INS_ALLOW_PRIVATE: loopback/private INS URLs (tests)
    mail_in: bool = False                # CBPORTAL_MAIL_IN: the inbound receiver runs inside the app
    mail_in_domain: str | None = None    # CBPORTAL_MAIL_IN_DOMAIN: ticket+…@domain, refund+…@domain
    mail_in_host: str = "127.0.0.1"
    mail_in_port: int = 2525
    mail_in_protocol: str = "smtp"       # smtp or lmtp
    sandbox_latency_ms: int = 0          # CBPORTAL_SANDBOX_LATENCY_MS: the sandbox's time per call
    gateway_window: int = 32             # CBPORTAL_GATEWAY_WINDOW: gateway calls in flight per worker process

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret(var_dir: Path) -> str:
    if os.environ.get("CBPORTAL_SECRET"):
        return os.environ["CBPORTAL_SECRET"]
    path = var_dir / "secret.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def load_settings() -> Settings:
    var_dir = Path(os.environ.get("CBPORTAL_VAR_DIR", ROOT / "var")).resolve()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'cbportal.db'}"
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if not (database_url.startswith("sqlite") or database_url.startswith("postgresql+psycopg://")):
        raise SettingsError(f"DATABASE_URL must be sqlite:///path or postgresql://..., not {database_url!r}")
    payments = _choice("CBPORTAL_PAYMENTS", "sandbox", ("sandbox", "stripe"))
    stripe_key = os.environ.get("STRIPE_API_KEY") or None
    if payments == "stripe" and not stripe_key:
        raise SettingsError("CBPORTAL_PAYMENTS=stripe needs STRIPE_API_KEY")
    mail = _choice("CBPORTAL_MAIL", "folder", ("folder", "smtp"))
    smtp_port_raw = os.environ.get("SMTP_PORT", "25")
    if not smtp_port_raw.isdigit():
        raise SettingsError(f"SMTP_PORT must be a port number, not {smtp_port_raw!r}")
    if mail == "smtp" and not os.environ.get("SMTP_HOST"):
        raise SettingsError("CBPORTAL_MAIL=smtp needs SMTP_HOST")
    return Settings(
        database_url=database_url,
        payments=payments,
        mail=mail,
        test_mode=_flag("CBPORTAL_TEST_MODE", "0"),
        run_worker=_flag("CBPORTAL_WORKER", "1"),
        var_dir=var_dir,
        mail_dir=Path(os.environ.get("CBPORTAL_MAIL_DIR", var_dir / "mail")).resolve(),
        secret=_secret(var_dir),
        stripe_api_key=stripe_key,
        stripe_api_base=os.environ.get("STRIPE_API_BASE") or None,
        smtp_host=os.environ.get("SMTP_HOST", "localhost"),
        smtp_port=int(smtp_port_raw),
        smtp_user=os.environ.get("SMTP_USER") or None,
        smtp_password=os.environ.get("SMTP_PASSWORD") or None,
        mail_from=os.environ.get("CBPORTAL_MAIL_FROM", "cbportal <noreply@cbportal.test>"),
        redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
        base_url=os.environ.get("CBPORTAL_BASE_URL", "http://localhost:3000").rstrip("/"),
        **_stripe_js(payments),
        ins_allow_private=_flag("CBPORTAL_INS_ALLOW_PRIVATE", "0"),
        **_mail_in(),
        sandbox_latency_ms=_whole("CBPORTAL_SANDBOX_LATENCY_MS", "0", 0, 60_000),
        gateway_window=_whole("CBPORTAL_GATEWAY_WINDOW", "32", 1, 1024),
    )


def _mail_in() -> dict:
    """The inbound mail receiver (docs/inbound-email.md): off unless CBPORTAL_MAIL_IN=1."""
    enabled = _flag("CBPORTAL_MAIL_IN", "0")
    domain = (os.environ.get("CBPORTAL_MAIL_IN_DOMAIN") or "").strip().lower() or None
    if domain is not None and not all(part and part.replace("-", "").isalnum() for part in domain.split(".")):
        raise SettingsError(f"CBPORTAL_MAIL_IN_DOMAIN must be a domain name like mail.example.com, not {domain!r}")
    if enabled and domain is None:
        raise SettingsError("CBPORTAL_MAIL_IN=1 needs CBPORTAL_MAIL_IN_DOMAIN (the domain your mail server "
                            "forwards to cbportal)")
    port = os.environ.get("CBPORTAL_MAIL_IN_PORT", "2525")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"CBPORTAL_MAIL_IN_PORT must be a port number, not {port!r}")
    return {"mail_in": enabled, "mail_in_domain": domain,
            "mail_in_host": os.environ.get("CBPORTAL_MAIL_IN_HOST", "127.0.0.1").strip() or "127.0.0.1",
            "mail_in_port": int(port),
            "mail_in_protocol": _choice("CBPORTAL_MAIL_IN_PROTOCOL", "smtp", ("smtp", "lmtp"))}


def _stripe_js(payments: str) -> dict:
    """Where the pages load Stripe.js from and the key they give it (docs/payments.md)."""
    key = os.environ.get("STRIPE_PUBLISHABLE_KEY") or None
    if payments == "stripe" and not (key or "").startswith("pk_"):
        raise SettingsError("CBPORTAL_PAYMENTS=stripe needs STRIPE_PUBLISHABLE_KEY (pk_...)")
    url = os.environ.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/"
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"STRIPE_JS_URL must be an http(s) URL, not {url!r}")
    return {"stripe_publishable_key": key, "stripe_js_url": url}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
