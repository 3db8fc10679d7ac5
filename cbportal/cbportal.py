"""The Reflex app: its pages (they register themselves, listed in cbportal/pages/__init__.py),
the REST API (/api/v1) on the backend, the in-process worker, the lifespan tasks
and operations (/healthz, /readyz, /metrics, request logs: cbportal.ops)."""

import asyncio
import contextlib
import ipaddress

from cbportal import pages
from cbportal.api.app import build_api
from cbportal.app_events import PortalApp
from cbportal.components.page import add_all as add_all_pages
from cbportal.ops import events as event_timing
from cbportal.ops.http import build_ops_app, request_log
from cbportal.ops.logs import configure as configure_logging
from cbportal.ops.mail_in_server import mail_in_task
from cbportal.ops.metrics import install_database_collector, watch_websockets
from cbportal.services.engine import worker
from cbportal.settings import SettingsError, get_settings

settings = get_settings()  # bad settings fail here, at start, with a clear message
configure_logging()        # JSON lines (or plain with CBPORTAL_LOG_FORMAT=plain)
if settings.test_mode:
    from reflex.config import get_config

    host = get_config().backend_host
    if host not in ("localhost",) and not ipaddress.ip_address(host).is_loopback:
        raise SettingsError("CBPORTAL_TEST_MODE=1 binds to loopback only; set REFLEX_BACKEND_HOST=127.0.0.1")


@contextlib.asynccontextmanager
async def worker_task():
    """Run the worker inside the app process (the laptop default; CBPORTAL_WORKER=0 turns it off).
    On shutdown (SIGTERM) it returns within 1.5 s: the worker's passes run in a daemon thread,
    so a pass blocked on a busy database no longer holds the process (it used to wait in
    the event loop's executor for the whole pass or the 30 s SQLite busy timeout)."""
    if not settings.run_worker:
        yield
        return
    from cbportal.db import get_engine
    from cbportal.services.core.clock import get_clock
    from cbportal.services.engine.worker import run_forever

    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(get_engine(), get_clock(), stop=stop, stop_grace=1.0, halt_grace=0.5))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)


# The API app mounts Reflex; the ops app (/healthz, /readyz, /metrics) mounts that; the
# request log wraps everything, so each request is timed and logged once, with its id.
# PortalApp: Reflex's app whose event queue drops a departed browser's queued events (app_events.py).
app = PortalApp(api_transformer=[build_api(), build_ops_app(), request_log])
app.register_lifespan_task(worker_task)
app.register_lifespan_task(mail_in_task)  # the embedded mail receiver, CBPORTAL_MAIL_IN=1 (docs/inbound-email.md)
event_timing.install()
install_database_collector(worker.all_sources)
watch_websockets(app)
pages.import_all(test_mode=settings.test_mode)   # each page registers itself (components/page.py)
add_all_pages(app, test_mode=settings.test_mode)
