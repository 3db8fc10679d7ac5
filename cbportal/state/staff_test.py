"""The staff test page (test mode only): the stored test clock, what is due next, and
"Advance to the next event" (RULES R2). Staff only; refused when test mode is off."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine
from cbportal.services.core.clock import StoredClock
from cbportal.services.engine import testmode, worker
from cbportal.settings import get_settings
from cbportal.state.base import PageState, is_staff


class KindRow(TypedDict):
    kind: str
    count: int


def _stamp(instant) -> str:
    return instant.strftime("%a %Y-%m-%d %H:%M UTC") if instant else "nothing scheduled"


class StaffTestState(PageState):
    loaded: bool = False
    test_mode: bool = False
    clock_now: str = ""
    next_due: str = ""
    summary: str = ""
    ran: list[KindRow] = []

    def _read(self) -> None:
        engine = get_engine()
        self.clock_now = _stamp(StoredClock(engine).now())
        self.next_due = _stamp(worker.next_due_sources(engine)[0])

    @rx.event
    def load(self):
        actor, leave = self._or_sign_in(is_staff, next=routes.STAFF_TEST)
        if actor is None:
            return leave
        self.test_mode = get_settings().test_mode
        if self.test_mode:
            self._read()
        self.loaded = True

    @rx.event
    def advance(self):
        """Move the test clock to the next due instant and run what is due there."""
        actor, leave = self._or_sign_in(is_staff, next=routes.STAFF_TEST)
        if actor is None:
            return leave
        if not get_settings().test_mode:
            self.summary = "Test mode is off: the clock is the real one."
            return
        result = testmode.advance_to_next(get_engine())
        self.summary = result["summary"]
        self.ran = [KindRow(kind=testmode.SOURCE_LABELS.get(r["kind"], r["kind"]), count=r["count"])
                    for r in result["ran"]]
        self._read()
