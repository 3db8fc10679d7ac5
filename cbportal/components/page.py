"""`@page(route, title, on_load, area, nav)`: one decorator registers a page with its route,
its title, its load handlers and (with `nav`) its navbar entry, as reflex-dev/templates'
`@template` does. `cbportal.cbportal` adds every registered page; `components/layout.py`
draws the navbar from the entries, in registration order (the order of `pages.PAGE_MODULES`).
Who may open a page and see its link stays in one table: services/accounts/page_access.py (R8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import reflex as rx

PUBLIC, VENDOR, STAFF = "public", "vendor", "staff"


class Registered(NamedTuple):
    build: Callable[[], rx.Component]
    route: str
    title: str
    on_load: list
    test_only: bool


class NavLink(NamedTuple):
    label: str
    route: str
    who: frozenset[str]      # the audiences that may see the link: PUBLIC, VENDOR, STAFF


REGISTERED: list[Registered] = []
NAV_LINKS: list[NavLink] = []


def page(route: str, title: str, on_load=(), area: str = VENDOR, nav: tuple[str, ...] = (),
         test_only: bool = False):
    """Register the decorated page. A PUBLIC page loads the signed-in user first; `nav` is
    the navbar label, then optional extra labels linking into the page ("API keys#keys")."""
    def register(build: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        from cbportal.state.session import SessionState

        loads = list(on_load) if isinstance(on_load, list | tuple) else [on_load]
        if area == PUBLIC:
            loads = [SessionState.load_user, *loads]
        REGISTERED.append(Registered(build, route, f"{title} · cbportal" if title else "cbportal", loads, test_only))
        who = frozenset({PUBLIC, VENDOR, STAFF}) if area == PUBLIC else frozenset({VENDOR, STAFF})
        for entry in nav:
            label, _, anchor = entry.partition("#")
            NAV_LINKS.append(NavLink(label, route + (f"#{anchor}" if anchor else ""), who))
        return build
    return register


def add_all(app: rx.App, *, test_mode: bool) -> None:
    """Add every registered page to the app (the test-only pages with CBPORTAL_TEST_MODE=1)."""
    for entry in REGISTERED:
        if test_mode or not entry.test_only:
            app.add_page(entry.build, route=entry.route, title=entry.title, on_load=entry.on_load or None)
