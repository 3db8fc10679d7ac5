"""Live dashboards under concurrent load (issue 18, benchmark).

N real websocket clients (python-socketio, the browser's protocol: hydrate in the CONNECT
packet, then events) open the vendor dashboard of the demo owner and each sends the
type-filter event once a second for BENCH_LIVE_SECONDS. Latency = send → the delta carrying
the new filter; CPU = the app's CPU time (all its processes) over the run / filter events
sent, and the same less the CPU the open dashboards use when quiet (measured for
IDLE_SECONDS before: the change watcher's polling, the followers). Two setups:

- one process: granian with the app factory, as `reflex run --env prod` starts the backend,
  one worker, Reflex state in memory (`make run`);
- Redis: the documented scale setup (docs/deploy.md), one backend worker per core
  (`--workers` = cores), Reflex state in Redis (REFLEX_REDIS_URL).

Then the push run: BENCH_LIVE_DASHBOARDS (50) dashboards open on one process while another
process opens tickets in the owner's account through the services at BENCH_LIVE_RATE (10)
a second; push delay = the commit → the delta whose open-ticket total includes it, per
dashboard; app CPU over the run. PostgreSQL throughout, embedded worker off, test mode off
(the system clock, as in production).

Targets on the 2-core machine: ≤ 8 ms CPU per filter event; p95 < 100 ms at 50 clients on
one process; p95 < 250 ms at 100 clients with Redis; push delay p95 < 200 ms with 50
dashboards open.

Where a filter event's CPU goes (benchmarks/profile_live.py, 20 clients, one process; the
table and what was cut: docs/live-profile.md): ~8.6 ms in all, of which the handler 4.7
(session check 2.3, ticket page 1.2, the rest of the refresh 1.0), the rest of Reflex's event
loop work ~1.7 (queue, state lock, payload, emit, websocket), delta + packets 0.3, the log
line 0.2, other threads 1.6 (granian's runtime, the change watcher). Most of the handler is
~10 synchronous database round trips (two reader sessions: pre-ping, BEGIN, reads, ROLLBACK).

BENCH_LIVE_CLIENTS ("1,20,50,100"), BENCH_LIVE_SETUPS ("one,redis"), BENCH_LIVE_SECONDS (20),
BENCH_LIVE_PUSH_SECONDS (10; 0 skips the push run), BENCH_LIVE_REDIS_URL, BENCH_LIVE_ROOT
(another checkout to measure, e.g. the code before a change; default this one).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import os
import random
import secrets
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlmodel import Session, select

from benchmarks.fixtures import PG_ADMIN, postgres_available, serve
from cbportal.db import make_engine
from cbportal.models import Opener, Order, Ticket, TicketStatus, User, WebSession
from cbportal.services.accounts import auth
from cbportal.services.accounts.accounts import accounts_of
from cbportal.services.accounts.auth import _sha256
from cbportal.services.core.clock import get_clock
from cbportal.services.engine import demo
from cbportal.services.tickets import lifecycle as tickets

HERE = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("BENCH_LIVE_ROOT", HERE))
CLIENTS = [int(n) for n in os.environ.get("BENCH_LIVE_CLIENTS", "1,20,50,100").split(",")]
SETUPS = os.environ.get("BENCH_LIVE_SETUPS", "one,redis").split(",")
SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "20"))
PUSH_SECONDS = float(os.environ.get("BENCH_LIVE_PUSH_SECONDS", "10"))
PUSH_RATE = float(os.environ.get("BENCH_LIVE_RATE", "10"))
DASHBOARDS = int(os.environ.get("BENCH_LIVE_DASHBOARDS", "50"))
REDIS_URL = os.environ.get("BENCH_LIVE_REDIS_URL", "redis://127.0.0.1:6379/0")
REPLY_TIMEOUT = 10.0
IDLE_SECONDS = 5.0
MARK = "_rx_state_"
NAMESPACE = "/_event"          # Reflex's socket.io path and namespace
ROOT_STATE = "reflex___state____state"
SESSION_STATE = f"{ROOT_STATE}.cbportal___state___session____session_state"
VENDOR_STATE = f"{SESSION_STATE}.cbportal___state___vendor____vendor_home_state"
ROUTER = {"pathname": "/vendor", "asPath": "/vendor", "query": {}}
TYPES = ("refund", "cancel", "tech_support")
TARGETS = {"cpu_ms": 8.0, "p95_ms_one_50": 100.0, "p95_ms_redis_100": 250.0, "push_p95_ms": 200.0}
SETUP_NAMES = {"one": "one process, state in memory",
               "redis": f"Redis, {os.cpu_count()} backend workers (one per core)"}


def process_cpu_seconds(pid: int) -> float:
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
def scratch_database() -> Iterator[str]:
    """A PostgreSQL database of its own (dropped at the end); yields its URL."""
    name = f"cbportal_bench_live_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def granian(workers: int = 1) -> list[str]:
    """The prod backend as `reflex run --env prod` starts it (granian, the app factory)."""
    return [str(HERE / ".venv" / "bin" / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1",
            "--port", "{port}", "--workers", str(workers), "cbportal.cbportal:app"]


@contextlib.contextmanager
def app(database_url: str, command: list[str] | None = None, **extra_env: str) -> Iterator[tuple[str, int]]:
    """Migrate, load the demo, serve the backend (`command`, "{port}" filled in) on a free
    port; yield (base url, pid)."""
    from tests.e2e.server import app_env

    var = Path(tempfile.mkdtemp(prefix="bench_live_"))
    # test mode off: the system clock, as in production (test mode's stored clock reads the
    # database on every `now()`, twice per filter event)
    env = app_env(var, database_url, CBPORTAL_WORKER="0", CBPORTAL_TEST_MODE="0", PYTHONPATH=str(ROOT), **extra_env)
    py = str(HERE / ".venv" / "bin" / "python")
    for step in (["migrate"], ["demo", "--if-empty"]):
        subprocess.run([py, "-m", "cbportal.cli", *step], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    command = [part.replace("{port}", env["CBPORTAL_PORT"]) for part in (command or granian())]
    with serve(command, env, var, ROOT) as proc:
        yield env["CBPORTAL_BASE_URL"], proc.pid


def sessions(database_url: str, n: int) -> list[str]:
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
        self.totals: list[tuple[float, int]] = []       # (received at, open-ticket total shown)
        self.sent = 0
        self.sio.on("event", self._on_event, namespace=NAMESPACE)

    async def _on_event(self, update) -> None:
        received = time.perf_counter()
        mine = (update.get("delta") or {}).get(VENDOR_STATE) or {}
        if mine.get(f"loaded{MARK}"):
            self.loaded.set()
        if f"total{MARK}" in mine:
            self.totals.append((received, mine[f"total{MARK}"]))
        value = mine.get(f"type_filter{MARK}")
        if value in self.pending:
            self.latencies.append(received - self.pending.pop(value))

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


def percentiles(values: list[float]) -> dict:
    values = sorted(values)

    def pct(p: float) -> float:
        return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")

    return {"p50": statistics.median(values) if values else float("nan"), "p95": pct(0.95), "p99": pct(0.99)}


async def _open_quietly(base: str, pid: int, tokens: list[str]) -> tuple[list[Client], float]:
    """Open the dashboards one after another; their CPU per second once open and quiet."""
    clients = [Client(base, token) for token in tokens]
    for client in clients:
        await client.open()
    await asyncio.sleep(2.0)                             # the followers' first refresh
    idle_start, idle_cpu = time.perf_counter(), process_cpu_seconds(pid)
    await asyncio.sleep(IDLE_SECONDS)                    # open but quiet: the watcher's polling, the followers
    return clients, (process_cpu_seconds(pid) - idle_cpu) / (time.perf_counter() - idle_start)


async def run_round(base: str, pid: int, tokens: list[str], seconds: float = SECONDS,
                    on_start: Callable[[], None] = lambda: None, on_end: Callable[[], None] = lambda: None) -> dict:
    """N dashboards, one filter event a second each for `seconds`: latency and CPU."""
    clients, idle_per_second = await _open_quietly(base, pid, tokens)
    on_start()
    cpu_before, started = process_cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(client.run(started + seconds) for client in clients))
    cpu, elapsed = process_cpu_seconds(pid) - cpu_before, time.perf_counter() - started
    on_end()
    await asyncio.gather(*(client.close() for client in clients))
    latencies = [s * 1000 for client in clients for s in client.latencies]
    sent = sum(client.sent for client in clients)
    return {"clients": len(clients), "sent": sent, "answered": len(latencies), **percentiles(latencies),
            "cpu_ms": 1000 * cpu / max(1, sent), "idle_ms_s": 1000 * idle_per_second,
            "net_cpu_ms": 1000 * max(0.0, cpu - idle_per_second * elapsed) / max(1, sent)}


def _open_tickets(database_url: str, rate: float, seconds: float) -> list[tuple[float, int]]:
    """Open tech-support tickets in the owner's account at `rate` a second through the
    services (another process's changes, as a support team's would be); returns the
    (commit time, open-ticket total after it) of each."""
    engine = make_engine(database_url)
    commits = []
    with Session(engine) as s:
        owner = auth.actor_for(s, s.exec(select(User).where(User.email == demo.OWNER[0])).one())
        account_ids = [a.id for a in accounts_of(s, owner)]
        busy = select(Ticket.order_id).where(Ticket.status == TicketStatus.OPEN)
        orders = list(s.exec(select(Order.id).where(Order.account_id.in_(account_ids), Order.id.not_in(busy))
                             .order_by(Order.id)))
        total = len(s.exec(select(Ticket.id).where(Ticket.status == TicketStatus.OPEN,
                                                   Ticket.account_id.in_(account_ids))).all())
    start = time.perf_counter()
    for i, order_id in enumerate(orders[:int(rate * seconds)]):
        time.sleep(max(0.0, start + i / rate - time.perf_counter()))
        with Session(engine) as s:
            tickets.open_ticket(s, now=get_clock().now(), order=s.get(Order, order_id), type="tech_support",
                                who=tickets.Acting(tickets.Party.VENDOR, owner), opener=Opener.VENDOR)
            s.commit()
        total += 1
        commits.append((time.perf_counter(), total))
    engine.dispose()
    return commits


async def push_round(base: str, pid: int, database_url: str, tokens: list[str], rate: float, seconds: float) -> dict:
    """`tokens` dashboards open while tickets are opened at `rate`/s: push delay and app CPU."""
    clients, idle_per_second = await _open_quietly(base, pid, tokens)
    cpu_before, started, own_cpu = process_cpu_seconds(pid), time.perf_counter(), time.process_time()
    lags: list[float] = []

    async def probe() -> None:                            # how late this process's loop runs (the clients')
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(1000 * (time.perf_counter() - before - 0.01))

    prober = asyncio.create_task(probe())
    # in a process of its own (as a support team's changes would come): not competing with
    # the clients for this process's interpreter (perf_counter is the system's monotonic clock)
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        commits = await asyncio.get_running_loop().run_in_executor(pool, _open_tickets, database_url, rate, seconds)
    await asyncio.sleep(3.0)                              # the last pushes
    cpu, elapsed = process_cpu_seconds(pid) - cpu_before, time.perf_counter() - started
    own_cpu, _ = time.process_time() - own_cpu, prober.cancel()
    await asyncio.gather(*(client.close() for client in clients))
    delays, missed = [], 0
    for client in clients:
        for committed, total in commits:
            shown = next((at for at, value in client.totals if at >= committed and value >= total), None)
            if shown is None:
                missed += 1
            else:
                delays.append(1000 * (shown - committed))
    return {"dashboards": len(clients), "changes": len(commits), "missed": missed, **percentiles(delays),
            "client_lag_p95": percentiles(lags)["p95"], "client_cpu_pct": 100 * own_cpu / elapsed,
            "cpu_pct": 100 * cpu / elapsed, "idle_pct": 100 * idle_per_second,
            "cpu_ms_change": 1000 * max(0.0, cpu - idle_per_second * elapsed) / max(1, len(commits))}


def measure(setup: str) -> Iterator[dict]:
    """The filter rounds (and, on one process, the push run) of one setup."""
    workers = (os.cpu_count() or 1) if setup == "redis" else 1
    extra = {"REFLEX_REDIS_URL": REDIS_URL} if setup == "redis" else {}
    with scratch_database() as url, app(url, granian(workers), **extra) as (base, pid):
        tokens = sessions(url, max(CLIENTS + [DASHBOARDS]))
        for n in CLIENTS:
            yield {"kind": "filter", **asyncio.run(run_round(base, pid, tokens[:n]))}
            time.sleep(3)
        if PUSH_SECONDS > 0 and setup == "one":
            yield {"kind": "push", **asyncio.run(push_round(base, pid, url, tokens[:DASHBOARDS], PUSH_RATE,
                                                            PUSH_SECONDS))}


def _target(setup: str, clients: int) -> str:
    if setup == "one" and clients == 50:
        return f"p95 < {TARGETS['p95_ms_one_50']:.0f} ms"
    if setup == "redis" and clients == 100:
        return f"p95 < {TARGETS['p95_ms_redis_100']:.0f} ms"
    return ""


def main() -> None:
    if not postgres_available():
        print("bench_live: PostgreSQL not reachable, skipped")
        return
    print(f"live dashboard, {SECONDS:.0f} s, one type-filter event per client per second (code: {ROOT}; "
          f"load average {os.getloadavg()[0]:.1f} at start)")
    print(f"targets: ≤ {TARGETS['cpu_ms']:.0f} ms CPU per filter event; p95 < {TARGETS['p95_ms_one_50']:.0f} ms at "
          f"50 clients on one process; p95 < {TARGETS['p95_ms_redis_100']:.0f} ms at 100 clients with Redis; "
          f"push delay p95 < {TARGETS['push_p95_ms']:.0f} ms with {DASHBOARDS} dashboards open")
    for setup in SETUPS:
        print(f"-- {SETUP_NAMES[setup]}")
        print("clients | events sent | answered | p50 / p95 / p99 ms | CPU ms per event (all / less idle) "
              f"| idle CPU ms/s | target (and ≤ {TARGETS['cpu_ms']:.0f} ms CPU)")
        for r in measure(setup):
            if r["kind"] == "filter":
                print(f"{r['clients']:>7} | {r['sent']:>11} | {r['answered']:>8} | "
                      f"{r['p50']:.0f} / {r['p95']:.0f} / {r['p99']:.0f} | {r['cpu_ms']:.1f} / {r['net_cpu_ms']:.1f} | "
                      f"{r['idle_ms_s']:.0f} | {_target(setup, r['clients'])}", flush=True)
            else:
                print(f"push: {r['dashboards']} dashboards open, {r['changes']} ticket openings at "
                      f"{PUSH_RATE:.0f}/s: push delay p50 / p95 / p99 {r['p50']:.0f} / {r['p95']:.0f} / "
                      f"{r['p99']:.0f} ms ({r['missed']} of {r['dashboards'] * r['changes']} not seen); app CPU "
                      f"{r['cpu_pct']:.0f}% of a core (idle {r['idle_pct']:.0f}%), {r['cpu_ms_change']:.1f} ms per "
                      f"change; target p95 < {TARGETS['push_p95_ms']:.0f} ms; the clients' process: "
                      f"{r['client_cpu_pct']:.0f}% of a core, its loop late by {r['client_lag_p95']:.0f} ms p95",
                      flush=True)


if __name__ == "__main__":
    main()
