"""Reflex configuration for cbportal.

One port (CBPORTAL_PORT, default 3000) serves pages, `/_event` and `/api/v1` in
production. Auto setters stay off (Reflex's default since 0.9): every state change
goes through a handler that checks the user. REFLEX_REDIS_URL shares state across
several app processes; without it the state stays in the process's memory (Reflex's
default, disk, pickled every touched state to a file in a thread on each event: ~5 ms of
CPU per live-dashboard filter event, issue 18; every page reads its data again on load).
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

PORT = int(os.environ.get("CBPORTAL_PORT", "3000"))

config = rx.Config(
    app_name="cbportal",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=PORT,
    backend_port=PORT,
    backend_host="127.0.0.1" if os.environ.get("CBPORTAL_TEST_MODE") == "1" else "0.0.0.0",
    api_url=os.environ.get("CBPORTAL_BASE_URL", f"http://localhost:{PORT}"),
    redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
    state_manager_mode="redis" if os.environ.get("REFLEX_REDIS_URL") else "memory",
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[SitemapPlugin],
)
