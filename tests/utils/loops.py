"""Running a coroutine to the end from a test, whatever else runs in the test process: the
browser tests' Playwright leaves an event loop running in the main thread, where
`asyncio.run` refuses to start, so the coroutine gets a thread (and a loop) of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures


def run_in_own_thread(main):
    """asyncio.run(main) in a fresh thread; returns its result or raises its exception."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main).result()
