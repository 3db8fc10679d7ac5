"""Reflex event timing (issue 19 point 2: event latency histogram; point 3: one log line
per event without its payload)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
from types import SimpleNamespace

from prometheus_client import REGISTRY

from cbportal.ops import events, logs


def test_reflex_still_executes_each_event_in_the_method_we_time():
    from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor

    params = inspect.signature(BaseStateEventProcessor._execute_event).parameters
    assert list(params) == ["self", "entry", "registered_handler"]
    assert inspect.iscoroutinefunction(BaseStateEventProcessor._execute_event)
    assert events.install() is True
    assert BaseStateEventProcessor._execute_event.cbportal_timed is True


def test_handler_labels():
    assert events.handler_label("cbportal___state___session____session_state.load_user") == "session_state.load_user"
    assert events.handler_label("reflex___state____state.hydrate_and_load") == "state.hydrate_and_load"
    assert events.handler_label("") == "?"


def test_each_event_is_timed_and_logged_without_its_payload():
    class Processor:
        async def _execute_event(self, *, entry, registered_handler):
            await asyncio.sleep(0.02)
            if entry.event.payload.get("fail"):
                raise ValueError("handler failed")

    events.install(Processor)
    events.install(Processor)  # once only
    stream = io.StringIO()
    logs.configure("json", "INFO", stream=stream)
    name = "cbportal___state___session____session_state.log_in"
    labels = {"handler": "session_state.log_in"}
    before = REGISTRY.get_sample_value("cbportal_event_seconds_count", labels) or 0
    try:
        entry = SimpleNamespace(event=SimpleNamespace(name=name, payload={"password": "hunter2-secret"}),
                                ctx=SimpleNamespace(token="0123456789abcdef"))
        _run(Processor()._execute_event(entry=entry, registered_handler=None))
        failing = SimpleNamespace(event=SimpleNamespace(name=name, payload={"fail": True}), ctx=entry.ctx)
        with contextlib.suppress(ValueError):
            _run(Processor()._execute_event(entry=failing, registered_handler=None))
    finally:
        logs.configure("json", "INFO")
    assert REGISTRY.get_sample_value("cbportal_event_seconds_count", labels) - before == 2
    assert REGISTRY.get_sample_value("cbportal_event_seconds_sum", labels) >= 0.04
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["handler"], r["outcome"], r["client"]) for r in lines] == [
        ("session_state.log_in", "ok", "01234567"), ("session_state.log_in", "error", "01234567")]
    assert all(r["duration_ms"] >= 20 for r in lines)
    assert "hunter2" not in stream.getvalue()


def _run(coroutine):
    """asyncio.run in a thread of its own: another test may have left this thread's loop running."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
