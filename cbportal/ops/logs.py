"""Structured logs: every `cbportal.*` logger writes one JSON object a line to stderr
(python-json-logger), or plain text with CBPORTAL_LOG_FORMAT=plain (`make dev`).

Each line carries `time`, `level`, `logger`, `message`, the `event` name and the ids it is
about (`request_id`, `source`, `ticket_id`, `order_id`, `account_id`, ...). The request id
of the HTTP request being served is added from a context variable. `Redact` scrubs what
must never be written even by mistake: card-like digit runs (13-19 digits), API keys
(`cbp_...`), bearer tokens and `secret=`/`password=` values, in the message and in every
extra field. Reflex's and Granian's own loggers are left as they configure them.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("cbportal_request_id", default=None)

_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_API_KEY = re.compile(r"cbp_[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=]+")
_SECRET_VALUE = re.compile(r"(?i)((?:secret|password|token|api_key|apikey)[\"']?\s*[:=]\s*[\"']?)[^\s\"',&}]+")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    text = _CARD.sub("[card]", text)
    text = _BEARER.sub(r"\1[redacted]", text)
    text = _API_KEY.sub("cbp_[redacted]", text)
    return _SECRET_VALUE.sub(r"\1[redacted]", text)


class Redact(logging.Filter):
    """Scrub secrets and card numbers from the message, its arguments and extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string still gets logged
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if REQUEST_ID.get() and not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class _Json(JsonFormatter):
    def formatException(self, exc_info) -> str:  # noqa: N802 - logging's name
        return redact(super().formatException(exc_info))


class _Plain(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD and k not in ("exc_text",)}
        line = super().format(record)
        if extras:
            head, _, rest = line.partition("\n")
            line = head + "  " + " ".join(f"{k}={v}" for k, v in extras.items()) + (("\n" + rest) if rest else "")
        return line


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "plain":
        return _Plain("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    return _Json("{asctime}{levelname}{name}{message}", style="{", datefmt="%Y-%m-%dT%H:%M:%S%z", rename_fields={
        "asctime": "time", "levelname": "level", "name": "logger"}, json_ensure_ascii=False)


_handler: logging.Handler | None = None


def configure(fmt: str | None = None, level: str | None = None, stream=None) -> logging.Handler:
    """Send the `cbportal` loggers to stderr (or `stream`) in the configured format.
    Called again, it replaces its own handler (tests, the CLI after a fork)."""
    global _handler
    if fmt is None or level is None:
        from cbportal.ops.config import ops_settings

        settings = ops_settings()
        fmt, level = fmt or settings.log_format, level or settings.log_level
    root = logging.getLogger("cbportal")
    if _handler is not None:
        root.removeHandler(_handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(Redact())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    _handler = handler
    return handler
