"""HTTP side of operations, mounted in front of the Reflex backend (see cbportal.py):

- `GET /healthz`: the process is up (no dependency checked), always 200.
- `GET /readyz`: database reachable, migrations at head, a worker heartbeat fresh, Redis
  reachable when configured; 200 `{"status": "ready", "checks": {...}}` or 503 with the
  failing check explained.
- `GET /metrics`: Prometheus text, only for direct loopback requests (never one a proxy
  forwarded), or with `Authorization: Bearer $CBPORTAL_METRICS_TOKEN`; 404 otherwise.
- `RequestLog`: ASGI middleware giving every HTTP request a request id (`X-Request-ID`,
  taken from the request when sane), one log line and its latency in
  `cbportal_http_request_seconds`.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import re
import time
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cbportal.ops import logs
from cbportal.ops.metrics import HTTP_SECONDS

log = logging.getLogger("cbportal.http")
CHECK_TIMEOUT = 3.0
OPS_PATHS = ("/healthz", "/readyz", "/metrics")
API_PREFIX = "/api/v1"
_SANE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


# --- readiness checks (plain functions: doctor uses them too) ----------------------------

def check_database(engine) -> dict:
    from sqlalchemy import text

    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


_heads: tuple[str, ...] | None = None


def migration_heads() -> tuple[str, ...]:
    global _heads
    if _heads is None:
        from alembic.script import ScriptDirectory

        from cbportal.migrations import ROOT, alembic_config

        config = alembic_config("sqlite://")
        config.set_main_option("script_location", str(ROOT / "alembic"))
        _heads = tuple(sorted(ScriptDirectory.from_config(config).get_heads()))
    return _heads


def check_migrations(engine) -> dict:
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    heads = migration_heads()
    result = {"ok": current == heads, "current": ",".join(current) or None, "head": ",".join(heads)}
    if not result["ok"]:
        result["detail"] = ("the database has no schema yet; run `cbportal migrate`" if not current else
                            "the database schema is not at the code's version; run `cbportal migrate`")
    return result


def check_worker(engine, stale_seconds: int, in_process: bool) -> dict:
    from cbportal.db import reader
    from cbportal.ops import heartbeat

    with reader(engine) as session:
        age, alive = heartbeat.freshest(session)
    result = {"ok": age is not None and age <= stale_seconds, "in_process": in_process,
              "last_beat_seconds_ago": None if age is None else round(age, 1), "alive": alive}
    if not result["ok"]:
        where = "the worker inside the app" if in_process else "a `cbportal worker` process"
        result["detail"] = (f"no worker has ever run against this database; start {where}" if age is None else
                            f"no worker has been alive for {int(age)} s; check {where}")
    return result


def check_redis(url: str | None) -> dict:
    if not url:
        return {"ok": True, "configured": False}
    import redis

    started = time.perf_counter()
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True, "configured": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _failed(error: BaseException, what: str) -> dict:
    first_line = str(error).splitlines()[0][:200] if str(error) else ""
    return {"ok": False, "detail": f"{what}: {type(error).__name__}: {first_line}"}


async def _run_check(name: str, fn, *args) -> dict:
    try:
        return await asyncio.wait_for(asyncio.to_thread(fn, *args), CHECK_TIMEOUT)
    except TimeoutError:
        return {"ok": False, "detail": f"no answer within {CHECK_TIMEOUT:g} s"}
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return _failed(error, f"{name} check failed")


async def readiness() -> tuple[bool, dict]:
    from cbportal.db import get_engine
    from cbportal.ops.config import ops_settings
    from cbportal.settings import get_settings

    settings, ops = get_settings(), ops_settings()
    engine = get_engine()
    checks = {"database": await _run_check("database", check_database, engine)}
    if checks["database"]["ok"]:
        checks["migrations"] = await _run_check("migrations", check_migrations, engine)
        checks["worker"] = await _run_check("worker", check_worker, engine, ops.worker_stale_seconds,
                                            settings.run_worker)
    else:
        checks["migrations"] = checks["worker"] = {"ok": False, "detail": "the database is not reachable"}
    checks["redis"] = await _run_check("redis", check_redis, settings.redis_url)
    return all(c["ok"] for c in checks.values()), checks


# --- endpoints ----------------------------------------------------------------------------

async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok", "pid": os.getpid()})


async def readyz(_request: Request) -> Response:
    ready, checks = await readiness()
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status_code=200 if ready else 503)


def metrics_allowed(request: Request) -> bool:
    from cbportal.ops.config import ops_settings

    ops = ops_settings()
    if ops.metrics == "off":
        return False
    if ops.metrics == "token":
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), ops.metrics_token.encode())
    if any(h in request.headers for h in ("x-forwarded-for", "forwarded", "x-real-ip")):
        return False  # came through a proxy: a public request, whatever the socket says
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def metrics(request: Request) -> Response:
    if not metrics_allowed(request):
        return JSONResponse({"error": {"code": "not_found", "message": "Not found."}}, status_code=404)
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    from cbportal.ops.metrics import install_database_collector
    from cbportal.services.engine.worker import all_sources

    install_database_collector(all_sources)
    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def build_ops_app() -> Starlette:
    """The Starlette app holding /healthz, /readyz and /metrics; Reflex mounts the rest under it."""
    return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)])


# --- request log and latency --------------------------------------------------------------

def _route_label(scope) -> str:
    path = scope.get("path", "")
    if path in OPS_PATHS:
        return path
    if path.startswith("/api/"):
        route = getattr(scope.get("route"), "path", None)
        if route is None:
            return "/api/(unmatched)"
        # FastAPI keeps an included router's prefix outside its routes' own paths
        return route if route.startswith(API_PREFIX) else API_PREFIX + route
    if path.startswith("/_event"):
        return "/_event"
    if path.startswith("/_upload"):
        return "/_upload"
    return "(page or asset)"


def _is_asset(path: str) -> bool:
    last = path.rsplit("/", 1)[-1]
    return "." in last or path.startswith(("/_next/", "/assets/", "/build/"))


class RequestLog:
    """ASGI middleware: request id, one log line per request, latency histogram."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex[:16]
        token = logs.REQUEST_ID.set(request_id)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            path, method = scope.get("path", ""), scope.get("method", "")
            route = _route_label(scope)
            HTTP_SECONDS.labels(method, route, str(status["code"])).observe(seconds)
            if not _is_asset(path):
                level = logging.DEBUG if path in OPS_PATHS else logging.INFO
                log.log(level, "%s %s %d", method, route, status["code"],
                        extra={"event": "http.request", "method": method, "path": path, "route": route,
                               "status": status["code"], "duration_ms": round(seconds * 1000, 1),
                               "client": scope.get("client", ("", 0))[0] if scope.get("client") else None})
            logs.REQUEST_ID.reset(token)


def request_log(app):
    """The `api_transformer` form: wrap the whole backend."""
    return RequestLog(app)
