"""A `cbportal worker` for tests/ops/test_engine.py: every lane, the system clock, and the
sandbox gateway (with CBPORTAL_SANDBOX_LATENCY_MS) writing one `gateway_call` row per
charge or refund call in the same transaction as its ledger row, so a test can count the
calls that reached the gateway across processes, including a replayed key."""

from __future__ import annotations

import asyncio
import signal
import sys

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cbportal.db import make_engine, use_engine
from cbportal.models import SandboxCharge
from cbportal.services.billing.gateways import GatewayResult
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core.clock import SystemClock
from cbportal.services.tickets import processing as ticket_processing

CALLS_TABLE = ("CREATE TABLE IF NOT EXISTS gateway_call "
               "(idempotency_key VARCHAR(200) NOT NULL, kind VARCHAR(20) NOT NULL)")


class CountingSandbox(SandboxGateway):
    def _record(self, row: SandboxCharge) -> GatewayResult:
        for _ in range(2):
            with Session(self.engine) as session:
                session.execute(text("INSERT INTO gateway_call (idempotency_key, kind) VALUES (:k, :kind)"),
                                {"k": row.idempotency_key, "kind": row.kind})
                existing = session.exec(select(SandboxCharge).where(
                    SandboxCharge.idempotency_key == row.idempotency_key)).first()
                if existing is None:
                    session.add(row)
                try:
                    session.commit()
                except IntegrityError:  # a racing replay got there first: that is a call too
                    session.rollback()
                    continue
                existing = existing or row
                return GatewayResult(outcome=existing.outcome, ref=f"sbx_{existing.kind}_{existing.id}")
        raise RuntimeError("could not record the call")


def use_counting_gateway(engine) -> CountingSandbox:
    import cbportal.services.billing.gateways as gateways

    gateway = CountingSandbox(engine, SystemClock())
    gateways.get_gateway = lambda name=None: gateway
    ticket_processing.get_gateway = gateways.get_gateway
    return gateway


def main(url: str) -> None:
    from cbportal.services.engine.worker import run_forever

    engine = make_engine(url)
    use_engine(engine)
    use_counting_gateway(engine)

    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run_forever(engine, SystemClock(), stop=stop)

    print("engine worker running", flush=True)
    asyncio.run(run())


if __name__ == "__main__":
    main(sys.argv[1])
