"""Routes: orders (checkout, the Orders API, the customer's lookup and card update)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from cbportal.api.deps import actor, clock, db_session
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.db import get_engine
from cbportal.services import checkout, orders
from cbportal.services.auth import Actor
from cbportal.services.gateways import PaymentInput, get_gateway

router = APIRouter(tags=["orders"], responses=ERROR_RESPONSES)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["card", "paypal", "elv"]
    card_number: str | None = Field(default=None, max_length=23)
    exp_month: int | None = Field(default=None, ge=1, le=12)
    exp_year: int | None = Field(default=None, ge=2000, le=2100)
    cvc: str | None = Field(default=None, max_length=4)

    def to_input(self) -> PaymentInput:
        return PaymentInput(**self.model_dump())


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(min_length=2, max_length=2)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64)
    customer: CustomerIn
    payment: PaymentIn
    affiliate: str | None = Field(default=None, max_length=40)
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
    status: Literal["active", "refunded", "failed"]
    bills: list[BillOut]
    subscription: SubscriptionOut | None


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipt: str = Field(min_length=1, max_length=32)
    email: str = Field(min_length=3, max_length=254)


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)
    payment: PaymentIn


def _view(receipt: str) -> dict:
    with Session(get_engine()) as session:
        return orders.order_view(session, orders.by_receipt(session, receipt))


@router.post("/orders", status_code=201, response_model=OrderOut)
def place_order(body: OrderIn, clk=Depends(clock)):
    receipt = checkout.checkout(
        get_engine(), now=clk.now(), gateway=get_gateway(), sku=body.sku,
        customer=checkout.CustomerInput(**body.customer.model_dump()), payment=body.payment.to_input(),
        affiliate=body.affiliate,
        shipping_address=body.shipping_address.model_dump() if body.shipping_address else None)
    return _view(receipt)


@router.get("/orders/{receipt}", response_model=OrderOut)
def get_order(receipt: str, session: Session = Depends(db_session), who: Actor = Depends(actor)):
    return orders.order_view(session, orders.vendor_order(session, actor=who, receipt=receipt))


@router.post("/customer/orders/lookup", response_model=OrderOut)
def customer_lookup(body: LookupIn, session: Session = Depends(db_session)):
    return orders.order_view(session, orders.customer_lookup(session, receipt=body.receipt, email=body.email))


@router.post("/customer/orders/{receipt}/payment-method", response_model=OrderOut)
def update_payment_method(receipt: str, body: PaymentMethodIn, clk=Depends(clock)):
    checkout.update_card(get_engine(), now=clk.now(), gateway=get_gateway(), receipt=receipt, email=body.email,
                         payment=body.payment.to_input())
    return _view(receipt)
