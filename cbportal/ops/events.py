"""Reflex event timing: every event a Reflex backend process executes is timed into
`cbportal_event_seconds{handler}` and logged in one line (handler, duration, the client
token's first 8 characters; never the payload, which carries passwords and card numbers).

Reflex 0.10 calls only `preprocess` of an app middleware, so the end of an event is not
visible there; `install` wraps the event processor's `_execute_event` instead (one
coroutine per event, state lock held). tests/ops/test_events.py checks that Reflex still
has that method with that signature, so an upgrade that moves it fails a test rather than
silently dropping the figures."""

from __future__ import annotations

import functools
import logging
import time

from cbportal.ops.metrics import EVENT_SECONDS

log = logging.getLogger("cbportal.events")


def handler_label(name: str) -> str:
    """`cbportal___state___session____session_state.load_user` -> `session_state.load_user`:
    the state class and the handler (bounded label values)."""
    parts = [p for p in (name or "").split(".") if p]
    if not parts:
        return "?"
    state = parts[-2].split("____")[-1] if len(parts) > 1 else ""
    return f"{state}.{parts[-1]}" if state else parts[-1]


def timed(execute):
    @functools.wraps(execute)
    async def execute_timed(self, *, entry, registered_handler):
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await execute(self, entry=entry, registered_handler=registered_handler)
            outcome = "ok"
            return result
        finally:
            seconds = time.perf_counter() - started
            event = getattr(entry, "event", None)
            label = handler_label(getattr(event, "name", ""))
            EVENT_SECONDS.labels(label).observe(seconds)
            token = getattr(getattr(entry, "ctx", None), "token", "") or getattr(event, "token", "") or ""
            log.info("event %s %s", label, outcome, extra={
                "event": "reflex.event", "handler": label, "outcome": outcome, "client": str(token)[:8],
                "duration_ms": round(seconds * 1000, 1)})

    execute_timed.cbportal_timed = True
    return execute_timed


def install(processor_class=None) -> bool:
    """Time every event of `processor_class` (Reflex's BaseStateEventProcessor); once."""
    if processor_class is None:
        try:
            from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor
        except ImportError:
            log.warning("Reflex event timing is off: this Reflex has no BaseStateEventProcessor")
            return False
        processor_class = BaseStateEventProcessor
    execute = getattr(processor_class, "_execute_event", None)
    if execute is None:
        log.warning("Reflex event timing is off: the event processor has no _execute_event")
        return False
    if not getattr(execute, "cbportal_timed", False):
        processor_class._execute_event = timed(execute)
    return True
