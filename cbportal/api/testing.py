"""Routes: test mode only (CBPORTAL_TEST_MODE=1), answered only to loopback clients."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict

from cbportal.api.deps import SessionDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.db import get_engine
from cbportal.services.core.clock import ClockMovedBackwards, StoredClock
from cbportal.services.core.errors import Conflict, NotFound
from cbportal.services.engine import testmode


def loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host in ("testclient", "localhost")
    if not ok:
        raise NotFound("not found", "not_found")


router = APIRouter(prefix="/test", tags=["test mode"], responses=ERROR_RESPONSES,
                   dependencies=[Depends(loopback_only)])


class ResetOut(BaseModel):
    staff_api_key: str


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: AwareDatetime


class ClockOut(BaseModel):
    now: datetime
    processed: int


class BehaviorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    behavior: Literal["ok", "insufficient_funds", "invalid_card"]


class OutboxItem(BaseModel):
    kind: str
    to: str
    subject: str
    created_at: datetime
    sent_at: datetime | None


@router.post("/reset", response_model=ResetOut)
def reset():
    return {"staff_api_key": testmode.reset(get_engine())}


@router.get("/clock", response_model=ClockOut)
def get_clock():
    return {"now": StoredClock(get_engine()).now(), "processed": 0}


@router.put("/clock", response_model=ClockOut)
def put_clock(body: ClockIn):
    engine = get_engine()
    try:
        processed = testmode.move_clock(engine, body.now)
    except ClockMovedBackwards as exc:
        raise Conflict(str(exc), "clock_moves_forward_only") from None
    return {"now": StoredClock(engine).now(), "processed": processed}


class KindCount(BaseModel):
    kind: str
    count: int


class AdvanceOut(BaseModel):
    previous: datetime
    now: datetime
    next_due: datetime | None
    processed: int
    due: list[KindCount]
    ran: list[KindCount]
    summary: str


@router.post("/clock/advance-to-next", response_model=AdvanceOut)
def advance_to_next():
    """Move the test clock to the next due instant of any kind and run what is due there."""
    return testmode.advance_to_next(get_engine())


@router.put("/orders/{receipt}/payment-behavior")
def payment_behavior(receipt: str, body: BehaviorIn, session: SessionDep):
    testmode.set_payment_behavior(session, receipt=receipt, behavior=body.behavior)
    return {"receipt": receipt, "behavior": body.behavior}


@router.get("/outbox", response_model=list[OutboxItem])
def list_outbox(receipt: str | None = None, kind: str | None = None, *, session: SessionDep):
    return [{"kind": r.kind, "to": r.to_addr, "subject": r.subject, "created_at": r.created_at,
             "sent_at": r.sent_at} for r in testmode.outbox(session, receipt=receipt, kind=kind)]
