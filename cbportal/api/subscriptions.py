"""Routes: subscription management (API.md, RULES R7; Subscription Management role, R8)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from cbportal.api.deps import ActorDep, ClockDep, SessionDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.api.orders import AddressIn, OrderOut, Receipt
from cbportal.db import get_engine, reader
from cbportal.services.billing import orders, subscriptions
from cbportal.services.billing.gateways import get_gateway
from cbportal.services.core.input_policy import Bool, Day, Int, Line, bill_date

router = APIRouter(tags=["subscription management"], responses=ERROR_RESPONSES)


class ChangeProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Line(64, 1)
    prorated_refund: Bool = True
    next_bill_date: Day | None = None


class ChangeProductOut(BaseModel):
    order: OrderOut
    prorated_refund_cents: int


class BillDateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: Day


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    periods: Int(1, 1000)


class EmptyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _view(session: Session, receipt: str) -> dict:
    session.flush()
    return orders.order_view(session, orders.by_receipt(session, receipt))


@router.post("/orders/{receipt}/subscription/change-product", response_model=ChangeProductOut)
def change_product(receipt: Receipt, body: ChangeProductIn, who: ActorDep,
                   clk: ClockDep):
    if body.next_bill_date is not None:
        bill_date(body.next_bill_date, clk.now().date(), "next_bill_date")
    cents = subscriptions.change_product(get_engine(), now=clk.now(), gateway=get_gateway(), actor=who,
                                         receipt=receipt, sku=body.sku, prorated=body.prorated_refund,
                                         next_bill_date=body.next_bill_date)
    with reader(get_engine()) as session:
        return {"order": orders.order_view(session, orders.by_receipt(session, receipt)),
                "prorated_refund_cents": cents}


@router.post("/orders/{receipt}/subscription/change-bill-date", response_model=OrderOut)
def change_bill_date(receipt: Receipt, body: BillDateIn, session: SessionDep,
                     who: ActorDep, clk: ClockDep):
    bill_date(body.date, clk.now().date())
    subscriptions.change_bill_date(session, now=clk.now(), actor=who, receipt=receipt, day=body.date)
    return _view(session, receipt)


@router.post("/orders/{receipt}/subscription/extend", response_model=OrderOut)
def extend(receipt: Receipt, body: ExtendIn, session: SessionDep, who: ActorDep,
           clk: ClockDep):
    subscriptions.extend(session, now=clk.now(), actor=who, receipt=receipt, periods=body.periods)
    return _view(session, receipt)


@router.post("/orders/{receipt}/subscription/reinstate", response_model=OrderOut)
def reinstate(receipt: Receipt, body: EmptyIn | None = None, *, session: SessionDep,
              who: ActorDep, clk: ClockDep):
    subscriptions.reinstate(session, now=clk.now(), actor=who, receipt=receipt)
    return _view(session, receipt)


@router.put("/orders/{receipt}/shipping-address", response_model=OrderOut)
def shipping_address(receipt: Receipt, body: AddressIn, session: SessionDep,
                     who: ActorDep, clk: ClockDep):
    subscriptions.change_shipping(session, now=clk.now(), actor=who, receipt=receipt, address=body.model_dump())
    return _view(session, receipt)
