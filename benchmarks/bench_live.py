"""Live dashboards under concurrent load (issue 18, benchmark).

N real websocket clients (python-socketio, the browser's protocol: hydrate in the CONNECT
packet, then events) open the vendor dashboard of the demo owner on ONE app process
(granian with the app factory, as `reflex run --env prod` starts the backend;
PostgreSQL, state in memory, embedded worker off)
and each sends the type-filter event once a second for BENCH_LIVE_SECONDS. Latency = send →
the delta carrying the new filter; CPU = the app's process CPU time over the run / filter
events sent, and the same less the CPU the open dashboards use when quiet (measured for
IDLE_SECONDS before: the change watcher's polling, the followers). Targets on the 2-core machine:
≤ 8 ms CPU per filter event, p95 < 100 ms at 50 clients.

BENCH_LIVE_CLIENTS (default "1,20,50"), BENCH_LIVE_SECONDS (default 20), BENCH_LIVE_ROOT
(another checkout to measure, e.g. the code before a change; default this one).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlmodel import Session, select

from benchmarks.fixtures import PG_ADMIN, postgres_available
from cbportal.db import make_engine
from cbportal.models import User, WebSession
from cbportal.services.accounts.auth import _sha256
from cbportal.services.core.clock import get_clock
from cbportal.services.engine import demo

HERE = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("BENCH_LIVE_ROOT", HERE))
CLIENTS = [int(n) for n in os.environ.get("BENCH_LIVE_CLIENTS", "1,20,50").split(",")]
SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "20"))
REPLY_TIMEOUT = 10.0
IDLE_SECONDS = 5.0
MARK = "_rx_state_"
NAMESPACE = "/_event"          # Reflex's socket.io path and namespace
ROOT_STATE = "reflex___state____state"
SESSION_STATE = f"{ROOT_STATE}.cbportal___state___session____session_state"
VENDOR_STATE = f"{SESSION_STATE}.cbportal___state___vendor____vendor_home_state"
ROUTER = {"pathname": "/vendor", "asPath": "/vendor", "query": {}}
TYPES = ("refund", "cancel", "tech_support")
TARGETS = {"cpu_ms": 8.0, "p95_ms_at_50": 100.0}


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return total


@contextlib.contextmanager
def _app(database_url: str):
    """Migrate, load the demo, serve the backend on a free port; yield (base url, pid)."""
    from tests.e2e.server import app_env, stop

    var = Path(tempfile.mkdtemp(prefix="bench_live_"))
    env = app_env(var, database_url, CBPORTAL_WORKER="0", PYTHONPATH=str(ROOT))
    py = str(HERE / ".venv" / "bin" / "python")
    for command in (["migrate"], ["demo"]):
        subprocess.run([py, "-m", "cbportal.cli", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    base = env["CBPORTAL_BASE_URL"]
    with open(var / "server.log", "w") as log:
        # the prod backend as `reflex run --env prod` starts it (granian, the app factory), one worker
        command = [str(HERE / ".venv" / "bin" / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                   "--port", env["CBPORTAL_PORT"], "--workers", "1", "cbportal.cbportal:app"]
        proc = subprocess.Popen(command, cwd=ROOT, env={**env, "REFLEX_ENV_MODE": "prod"}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.time() + 300
            while True:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"the app did not start: {(var / 'server.log').read_text()[-2000:]}")
                with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/ping", timeout=2):
                    break
                time.sleep(1)
            yield base, proc.pid
        finally:
            stop(proc)


def _sessions(database_url: str, n: int) -> list[str]:
    """n signed-in browser sessions of the demo owner (rows written as login would)."""
    engine = make_engine(database_url)
    now, tokens = get_clock().now(), [secrets.token_urlsafe(32) for _ in range(n)]
    with Session(engine) as session:
        owner = session.exec(select(User).where(User.email == demo.OWNER[0])).one()
        for token in tokens:
            session.add(WebSession(token_hash=_sha256(token), user_id=owner.id, created_at=now,
                                   expires_at=now + timedelta(days=1)))
        session.commit()
    engine.dispose()
    return tokens


class Client:
    """One browser tab on the dashboard: its own Reflex token and socket."""

    def __init__(self, base: str, session_token: str):
        import socketio

        self.base, self.session_token = base, session_token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.loaded = asyncio.Event()
        self.pending: dict[str, float] = {}
        self.latencies: list[float] = []
        self.sent = 0
        self.sio.on("event", self._on_event, namespace=NAMESPACE)

    async def _on_event(self, update) -> None:
        mine = (update.get("delta") or {}).get(VENDOR_STATE) or {}
        if mine.get(f"loaded{MARK}"):
            self.loaded.set()
        value = mine.get(f"type_filter{MARK}")
        if value in self.pending:
            self.latencies.append(time.perf_counter() - self.pending.pop(value))

    async def open(self) -> None:
        hydrate = {"name": f"{ROOT_STATE}.hydrate_and_load", "router_data": ROUTER,
                   "payload": {"vars": {f"{SESSION_STATE}.token{MARK}": self.session_token}}}
        await self.sio.connect(f"{self.base}?token={uuid.uuid4()}", socketio_path="_event", transports=["websocket"],
                               namespaces=[NAMESPACE], auth={"event": hydrate}, wait_timeout=30)
        await asyncio.wait_for(self.loaded.wait(), 60)

    async def run(self, until: float) -> None:
        await asyncio.sleep(random.random())            # spread the clients over the second
        i = random.randrange(3)
        while time.perf_counter() < until:
            i += 1
            value = TYPES[i % 3]
            self.pending[value] = time.perf_counter()
            self.sent += 1
            await self.sio.emit("event", {"name": f"{VENDOR_STATE}.pick_type", "payload": {"value": value},
                                          "router_data": ROUTER}, namespace=NAMESPACE)
            await asyncio.sleep(1.0)
        await asyncio.sleep(min(REPLY_TIMEOUT, 3.0))     # the last replies

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


async def _round(base: str, pid: int, tokens: list[str]) -> dict:
    clients = [Client(base, token) for token in tokens]
    for client in clients:                               # tabs open one after another
        await client.open()
    await asyncio.sleep(2.0)                             # the followers' first refresh
    idle_start, idle_cpu = time.perf_counter(), _process_cpu_seconds(pid)
    await asyncio.sleep(IDLE_SECONDS)                    # open but quiet: the watcher's polling, the followers
    idle_per_second = (_process_cpu_seconds(pid) - idle_cpu) / (time.perf_counter() - idle_start)
    cpu_before, started = _process_cpu_seconds(pid), time.perf_counter()
    until = started + SECONDS
    await asyncio.gather(*(client.run(until) for client in clients))
    cpu, elapsed = _process_cpu_seconds(pid) - cpu_before, time.perf_counter() - started
    await asyncio.gather(*(client.close() for client in clients))
    latencies = sorted(ms * 1000 for client in clients for ms in client.latencies)
    sent = sum(client.sent for client in clients)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {"clients": len(clients), "sent": sent, "answered": len(latencies),
            "p50": statistics.median(latencies) if latencies else float("nan"), "p95": pct(0.95), "p99": pct(0.99),
            "cpu_ms": 1000 * cpu / max(1, sent), "idle_ms_s": 1000 * idle_per_second,
            "net_cpu_ms": 1000 * max(0.0, cpu - idle_per_second * elapsed) / max(1, sent)}


def measure() -> Iterator[dict]:
    name = f"cbportal_bench_live_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    try:
        with _app(url) as (base, pid):
            tokens = _sessions(url, max(CLIENTS))
            for n in CLIENTS:
                yield asyncio.run(_round(base, pid, tokens[:n]))
                time.sleep(3)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    if not postgres_available():
        print("bench_live: PostgreSQL not reachable, skipped")
        return
    print(f"live dashboard, one process, {SECONDS:.0f} s, one type-filter event per client per second "
          f"(code: {ROOT})")
    print(f"targets: ≤ {TARGETS['cpu_ms']:.0f} ms CPU per filter event; p95 < {TARGETS['p95_ms_at_50']:.0f} ms "
          "at 50 clients")
    print("clients | events sent | answered | p50 / p95 / p99 ms | CPU ms per event (all / less idle) | idle CPU ms/s")
    for r in measure():
        print(f"{r['clients']:>7} | {r['sent']:>11} | {r['answered']:>8} | "
              f"{r['p50']:.0f} / {r['p95']:.0f} / {r['p99']:.0f} | {r['cpu_ms']:.1f} / {r['net_cpu_ms']:.1f} | "
              f"{r['idle_ms_s']:.0f}", flush=True)


if __name__ == "__main__":
    main()
