"""Concurrent deliveries with per-destination limits (issue 12 point 3): the email and INS
lanes send many messages at once, at most `per_destination` to one destination (an INS
URL's account, an email's domain) and `total` in all, so one dead endpoint holds only its
own messages, for at most its short timeout each.

The caller gives three functions: `claim(limit, saturated)` claims due rows in the
database (compare-and-set, committed) and returns them, leaving out destinations that
are full; `send(item)` runs in a daemon thread (a stopping worker never waits for it) and
returns its result; `record(list of (item, result))` runs in the calling thread and
commits the results that arrived together. While anything is in flight the loop looks
for new due rows every `poll` seconds, so newly due messages of other destinations go
out while a dead one times out.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import Any


def deliver(*, claim: Callable[[int, set], list], send: Callable[[Any], Any],
            record: Callable[[list[tuple[Any, Any]]], None], destination: Callable[[Any], str],
            per_destination: int, total: int, poll: float = 0.25) -> int:
    """Run until nothing due is left and nothing is in flight; returns how many were recorded."""
    waiting: deque = deque()
    busy: Counter = Counter()
    answers: queue.SimpleQueue = queue.SimpleQueue()
    running = recorded = 0
    from cbportal.services.engine.due import stopping

    look = True
    while True:
        if stopping():  # the worker is stopping: send nothing new, record what is in flight
            waiting.clear()
            look = False
        if look and len(waiting) < total:
            new = claim(total * 2 - len(waiting), {d for d, n in busy.items() if n >= per_destination})
            waiting.extend(new)
            look = bool(new)
        held: deque = deque()
        while waiting and running < total and not stopping():
            item = waiting.popleft()
            to = destination(item)
            if busy[to] >= per_destination:
                held.append(item)
                continue
            busy[to] += 1
            running += 1
            threading.Thread(target=lambda i=item, d=to: answers.put((i, d, send(i))),
                             name="cbportal-delivery", daemon=True).start()
        waiting = held + waiting
        if not running:
            if waiting or look:
                continue
            return recorded
        got = []
        try:
            got.append(answers.get(timeout=poll))
            while True:
                got.append(answers.get_nowait())
        except queue.Empty:
            pass
        look = True  # a destination freed, or time passed: look for more due rows
        if got:
            for _, to, _ in got:
                busy[to] -= 1
                running -= 1
            record([(item, result) for item, _, result in got])
            recorded += len(got)
