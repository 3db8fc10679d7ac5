"""Where one live-dashboard filter event spends its CPU (issue 18): a cProfile of the
backend while N websocket clients send one type-filter event a second each.

The backend is the one `bench_live` measures (the app factory served by granian, one
process, state in memory), but embedded in a process that profiles its own event loop
between two signals: SIGUSR1 starts the profile once the dashboards are open and quiet,
SIGUSR2 stops it after the filter events and writes the stats. Threads (the change
watcher's reads) are not profiled; the handlers run on the event loop and are.

`python -m benchmarks.profile_live` (PROFILE_CLIENTS default 20, PROFILE_SECONDS 15)
prints the top functions by own time and by cumulative time, per filter event.
Not part of `make bench` (not a `bench_` module): the profiler itself doubles the cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import os
import pstats
import signal
import sys
import time
from pathlib import Path

CLIENTS = int(os.environ.get("PROFILE_CLIENTS", "20"))
SECONDS = float(os.environ.get("PROFILE_SECONDS", "15"))


# Synchronous steps of a filter event, timed with the thread's CPU clock (exact, no profiler
# overhead): (label, module, attribute path). Nested ones are inside the one above them.
TIMED = [
    ("handler: VendorHomeState._apply (whole)", "cbportal.state.vendor", "VendorHomeState._apply"),
    ("  session check: SessionState._actor", "cbportal.state.session", "SessionState._actor"),
    ("  VendorHomeState._refresh", "cbportal.state.vendor", "VendorHomeState._refresh"),
    ("    ticket page: board.open_tickets", "cbportal.services.tickets.board", "open_tickets"),
    ("Reflex: the delta (BaseState.get_delta)", "reflex.state", "BaseState.get_delta"),
    ("Reflex: clean the dirty vars (BaseState._clean)", "reflex.state", "BaseState._clean"),
    ("socket.io: encode packets", "socketio.packet", "Packet.encode"),
    ("socket.io: decode packets", "socketio.packet", "Packet.decode"),
    ("engine.io: encode packets", "engineio.packet", "Packet.encode"),
    ("the per-event log line (cbportal.events)", "cbportal.ops.events", "log.info"),
]


def _install_timers() -> dict[str, list[float]]:
    """Wrap the TIMED steps; each accumulates [CPU seconds, calls] while counting is on."""
    import importlib

    spent: dict[str, list[float]] = {"_on": [0.0, 0.0]}
    for label, module, path in TIMED:
        owner = importlib.import_module(module)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original, spent[label] = getattr(owner, name), [0.0, 0.0]

        def timed(*args, _original=original, _cell=spent[label], **kwargs):
            if not spent["_on"][0]:
                return _original(*args, **kwargs)
            started = time.thread_time()
            try:
                return _original(*args, **kwargs)
            finally:
                _cell[0] += time.thread_time() - started
                _cell[1] += 1

        setattr(owner, name, timed)
    return spent


def serve(port: int, out: str, mode: str) -> None:
    """The backend in this process. Between SIGUSR1 and SIGUSR2: mode "profile" runs
    cProfile on the event loop's thread (CPU clock); mode "timers" times the TIMED steps
    and the thread's whole CPU. Either writes its figures to `out`."""
    import json

    from granian.constants import Interfaces
    from granian.server.embed import Server

    from cbportal.cbportal import app  # the factory: app() is the ASGI app, as granian --factory calls it

    profile = cProfile.Profile(time.thread_time)     # CPU of the event loop's thread, not waits
    spent = _install_timers() if mode == "timers" else {}
    loop_cpu = [0.0]

    def start() -> None:
        if mode == "profile":
            profile.enable()
        else:
            spent["_on"][0], loop_cpu[0] = 1.0, time.thread_time()

    def stop() -> None:
        if mode == "profile":
            profile.disable()
            profile.dump_stats(out)
        else:
            spent["_on"][0] = 0.0
            spent["event loop thread (all)"] = [time.thread_time() - loop_cpu[0], 1]
            Path(out).write_text(json.dumps({k: v for k, v in spent.items() if k != "_on"}))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, start)
        loop.add_signal_handler(signal.SIGUSR2, stop)
        server = Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI,
                        factory=True, log_enabled=False)
        await server.serve()

    asyncio.run(main())


def report(stats_file: str, events: int, top: int = 45) -> str:
    """The top functions by own and by cumulative time, in ms per filter event."""
    stats = pstats.Stats(stats_file)
    rows = stats.stats  # type: ignore[attr-defined]
    lines = [f"{events} filter events profiled; ms per event (profiler overhead included)"]
    for title, key in (("own time", 2), ("cumulative", 3)):
        lines.append(f"-- by {title}")
        ranked = sorted(rows.items(), key=lambda item: item[1][key], reverse=True)[:top]
        for (file, line, name), (_cc, calls, tottime, cumtime, _callers) in ranked:
            where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
            lines.append(f"{1000 * tottime / events:8.2f} own {1000 * cumtime / events:8.2f} cum "
                         f"{calls / events:8.1f} calls  {name}  {where}")
    return "\n".join(lines)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of every thread of a process and its descendants, by thread name."""
    tick, found, todo = os.sysconf("SC_CLK_TCK"), {}, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                with contextlib.suppress(OSError):
                    name, rest = (task / "stat").read_text().split("(", 1)[1].rsplit(")", 1)
                    fields = rest.split()
                    key = f"{'main' if task.name == str(current) else 'thread'} {name}"
                    found[key] = found.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / tick
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def _served(url: str, mode: str, tokens_needed: int = CLIENTS) -> tuple[dict, dict, str]:
    """One round on an embedded backend in `mode`; (round result, per-thread CPU, figures file)."""
    from benchmarks import bench_live

    out = f"/tmp/profile_live_{os.getpid()}_{mode}"
    command = [sys.executable, "-m", "benchmarks.profile_live", "serve", "{port}", out, mode]
    marks: dict[str, dict] = {}

    def start(pid: int) -> None:
        marks["start"] = thread_cpu(pid)
        os.kill(pid, signal.SIGUSR1)

    def end(pid: int) -> None:
        os.kill(pid, signal.SIGUSR2)
        marks["end"] = thread_cpu(pid)

    with bench_live.app(url, command) as (base, pid):
        tokens = bench_live.sessions(url, tokens_needed)
        result = asyncio.run(bench_live.run_round(base, pid, tokens, seconds=SECONDS, on_start=lambda: start(pid),
                                                  on_end=lambda: end(pid)))
        time.sleep(2)                       # the figures are written
    by_thread = {name: marks["end"][name] - marks["start"].get(name, 0.0) for name in marks["end"]}
    return result, by_thread, out


def timers_report(result: dict, by_thread: dict, out: str) -> str:
    import json

    events = result["sent"]
    lines = [f"{result['clients']} clients, {events} filter events, no profiler: p50 {result['p50']:.0f} ms, "
             f"p95 {result['p95']:.0f} ms; process CPU {result['cpu_ms']:.1f} ms per event "
             f"(less idle {result['net_cpu_ms']:.1f})", "-- by thread (ms per event)"]
    for name, seconds in sorted(by_thread.items(), key=lambda item: -item[1]):
        if seconds > 0:
            lines.append(f"{1000 * seconds / events:8.2f}  {name}")
    lines.append("-- steps on the event loop's thread (CPU ms per event, calls per event)")
    for label, (seconds, calls) in json.loads(Path(out).read_text()).items():
        lines.append(f"{1000 * seconds / events:8.2f}  {calls / events:5.1f}  {label}")
    return "\n".join(lines)


def main() -> None:
    from benchmarks import bench_live

    with bench_live.scratch_database() as url:
        print(timers_report(*_served(url, "timers")), flush=True)
        result, _threads, out = _served(url, "profile")
        print(f"-- cProfile: {result['clients']} clients, p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms "
              "(slowed by the profiler)")
        print(report(out, result["sent"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        main()
