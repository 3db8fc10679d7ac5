"""Routes: orders (checkout, the Orders API, the customer's lookup and card update)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cbportal.api.deps import ActorDep, ClockDep, ReadSessionDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.db import get_engine, reader
from cbportal.services.billing import checkout, orders
from cbportal.services.billing.gateways import PaymentInput, get_gateway
from cbportal.services.core.input_policy import Int, Line, line

Receipt = Annotated[str, Path(min_length=1, max_length=32, description="the order's receipt"),
                   AfterValidator(lambda v: line(v, "receipt", 32, 1))]

router = APIRouter(tags=["orders"], responses=ERROR_RESPONSES)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["card", "paypal", "elv"]
    payment_method: Line(255) | None = None
    card_number: Line(23) | None = None
    exp_month: Int(1, 12) | None = None
    exp_year: Int(2000, 2100) | None = None
    cvc: Line(4) | None = None

    def to_input(self) -> PaymentInput:
        return PaymentInput(**self.model_dump())


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Line(254, 3)
    name: Line(200, 1)
    country: Line(2, 2)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line(200, 1)
    line1: Line(200, 1)
    line2: Line(200) | None = None
    city: Line(100, 1)
    region: Line(100) | None = None
    postal_code: Line(20, 1)
    country: Line(2, 2)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Line(64, 1)
    customer: CustomerIn
    payment: PaymentIn
    affiliate: Line(40) | None = None
    shipping_address: AddressIn | None = None


class Attempt(BaseModel):
    at: datetime
    outcome: Literal["paid", "insufficient_funds", "invalid_card", "pending", "error"]


class BillOut(BaseModel):
    seq: int
    kind: Literal["initial", "rebill"]
    scheduled_date: date
    amount_cents: int
    net_cents: int
    commission_cents: int
    status: Literal["paid", "refunded", "failed", "pending"]
    refund_pending_cents: int = 0
    paid_at: datetime | None
    refunded_cents: int
    attempts: list[Attempt]


class Frequency(BaseModel):
    unit: Literal["day", "week", "month"]
    count: int
    label: str


class SubscriptionOut(BaseModel):
    status: Literal["active", "dunning", "canceled", "completed"]
    next_bill_date: date | None
    payments_remaining: int | None
    frequency: Frequency
    canceled_at: datetime | None


class OrderOut(BaseModel):
    receipt: str
    sku: str
    account: str
    customer_email: str
    created_at: datetime
    status: Literal["paid", "partially_refunded", "refunded", "failed"]
    refund_pending_cents: int = Field(0, description="refunds begun and not yet confirmed by the payment processor")
    bills: list[BillOut]
    subscription: SubscriptionOut | None


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipt: Line(32, 1)
    email: Line(254, 3)


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Line(254, 3)
    payment: PaymentIn


def _view(receipt: str) -> dict:
    with reader(get_engine()) as session:
        return orders.order_view(session, orders.by_receipt(session, receipt))


@router.post("/orders", status_code=201, response_model=OrderOut)
def place_order(body: OrderIn, clk: ClockDep):
    receipt = checkout.checkout(
        get_engine(), now=clk.now(), gateway=get_gateway(), sku=body.sku,
        customer=checkout.CustomerInput(**body.customer.model_dump()), payment=body.payment.to_input(),
        affiliate=body.affiliate,
        shipping_address=body.shipping_address.model_dump() if body.shipping_address else None)
    return _view(receipt)


@router.get("/orders/{receipt}", response_model=OrderOut)
def get_order(receipt: Receipt, session: ReadSessionDep, who: ActorDep):
    return orders.order_view(session, orders.vendor_order(session, actor=who, receipt=receipt))


@router.post("/customer/orders/lookup", response_model=OrderOut)
def customer_lookup(body: LookupIn, session: ReadSessionDep):
    return orders.order_view(session, orders.customer_lookup(session, receipt=body.receipt, email=body.email))


@router.post("/customer/orders/{receipt}/payment-method", response_model=OrderOut)
def update_payment_method(receipt: Receipt, body: PaymentMethodIn, clk: ClockDep):
    checkout.update_card(get_engine(), now=clk.now(), gateway=get_gateway(), receipt=receipt, email=body.email,
                         payment=body.payment.to_input())
    return _view(receipt)
