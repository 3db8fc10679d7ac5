"""The app's event queue: Reflex's, except that a browser that disconnects loses the events
it still had queued (no work for the departed; issue 18). Its running event finishes, and a
background follower notices the departure itself (state/live_feed.follow)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import reflex as rx
from reflex_base.event.processor import BaseStateEventProcessor


class DepartingEventProcessor(BaseStateEventProcessor):
    dropped = 0                 # events dropped for departed browsers (tests, benchmarks)

    def _on_disconnect(self, token: str) -> None:
        super()._on_disconnect(token)
        waiting = list(self._token_queues.get(token, ()))[1:]      # the first one is running
        for entry, _handler in waiting:
            future = self._futures.get(entry.ctx.txid)
            if future is not None and not future.done():
                future.cancel()
                DepartingEventProcessor.dropped += 1


class PortalApp(rx.App):
    """rx.App with the DepartingEventProcessor."""

    @contextlib.asynccontextmanager
    async def _setup_event_processor(self) -> AsyncIterator[None]:
        event_namespace = self.event_namespace
        if event_namespace is not None:
            event_namespace._token_manager._reset_instance_id()
        self._event_processor = DepartingEventProcessor(
            middleware=self, backend_exception_handler=self.backend_exception_handler)
        async with self._event_processor.configure(state_manager=self.state_manager,
                                                   event_namespace=event_namespace):
            yield
