"""Operations settings, from the environment (the business settings are in cbportal.settings).

| variable | default | meaning |
| CBPORTAL_LOG_FORMAT | json | `json` (one JSON object a line) or `plain` (`make dev`) |
| CBPORTAL_LOG_LEVEL | INFO | DEBUG, INFO, WARNING, ERROR |
| CBPORTAL_METRICS | loopback | `loopback`: direct requests from this machine only (not proxied); `token`; `off` |
| CBPORTAL_METRICS_TOKEN | – | `Authorization: Bearer <token>` for /metrics (implies `token`) |
| CBPORTAL_WORKER_STALE_SECONDS | 60 | /readyz fails when no worker has beaten for this long |
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cbportal.settings import SettingsError


@dataclass(frozen=True)
class OpsSettings:
    log_format: str
    log_level: str
    metrics: str
    metrics_token: str | None
    worker_stale_seconds: int


def ops_settings() -> OpsSettings:
    log_format = os.environ.get("CBPORTAL_LOG_FORMAT", "json").strip().lower()
    if log_format not in ("json", "plain"):
        raise SettingsError(f"CBPORTAL_LOG_FORMAT must be json or plain, not {log_format!r}")
    level = os.environ.get("CBPORTAL_LOG_LEVEL", "INFO").strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"CBPORTAL_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    token = os.environ.get("CBPORTAL_METRICS_TOKEN") or None
    metrics = os.environ.get("CBPORTAL_METRICS", "token" if token else "loopback").strip().lower()
    if metrics not in ("loopback", "token", "off"):
        raise SettingsError(f"CBPORTAL_METRICS must be loopback, token or off, not {metrics!r}")
    if metrics == "token" and not token:
        raise SettingsError("CBPORTAL_METRICS=token needs CBPORTAL_METRICS_TOKEN")
    if token is not None and len(token) < 16:
        raise SettingsError("CBPORTAL_METRICS_TOKEN must be at least 16 characters long")
    stale = os.environ.get("CBPORTAL_WORKER_STALE_SECONDS", "60").strip()
    if not stale.isdigit() or int(stale) < 5:
        raise SettingsError(
            f"CBPORTAL_WORKER_STALE_SECONDS must be a whole number of seconds, 5 or more, not {stale!r}")
    return OpsSettings(log_format=log_format, log_level=level, metrics=metrics, metrics_token=token,
                       worker_stale_seconds=int(stale))
