"""The worker runs each pass in a daemon thread (services/engine/worker.py `_in_daemon_thread`):
the pass's result, or the exception it raised, reaches the awaiting coroutine. A failed
pass must not leave the worker loop waiting forever: the hand-over runs on the event
loop after the thread is gone, so it may not rely on the `except ... as` name."""

import asyncio
import threading

import pytest

from cbportal.services.engine import worker
from tests.utils.loops import run_in_own_thread


def _await_after_the_thread_ends(fn, *args):
    async def main():
        before = set(threading.enumerate())
        pending = asyncio.ensure_future(worker._in_daemon_thread(fn, *args))
        await asyncio.sleep(0)                                   # the pass starts in its thread
        for thread in set(threading.enumerate()) - before:
            thread.join()                   # the loop runs the hand-over only once that thread is gone
        # the timeout only keeps a regression from hanging the test run; nothing is timed
        return await asyncio.wait_for(pending, timeout=60)
    return run_in_own_thread(main())


def test_a_pass_result_reaches_the_caller():
    assert _await_after_the_thread_ends(lambda a, b: a + b, 2, 3) == 5


def test_a_pass_exception_reaches_the_caller():
    def fail():
        raise ValueError("the database is locked")

    with pytest.raises(ValueError, match="the database is locked"):
        _await_after_the_thread_ends(fail)
