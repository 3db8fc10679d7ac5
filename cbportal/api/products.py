"""Routes: products (create, staff approve, read, edit the description)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import Session

from cbportal.api.deps import ActorDep, ClockDep, ReadSessionDep, SessionDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.models import VendorAccount
from cbportal.services.billing import products
from cbportal.services.core.errors import NotFound
from cbportal.services.core.input_policy import Int, Line, Pct, Text, line

Sku = Annotated[str, Path(min_length=1, max_length=64, description="the product's SKU"),
               AfterValidator(lambda v: line(v, "sku", 64, 1))]

router = APIRouter(tags=["products"], responses=ERROR_RESPONSES)


class Frequency(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: Literal["day", "week", "month"]
    count: Int(1, 365)


class FrequencyOut(Frequency):
    label: str


class Recurring(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rebill_price_cents: Int(1, 10_000_000)
    frequency: Frequency
    rebills: Int(1, 1000) | None = None
    trial_days: Int(1, 365) | None = None


class RecurringOut(BaseModel):
    rebill_price_cents: int
    frequency: FrequencyOut
    rebills: int | None
    trial_days: int | None


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Line(64, 1)
    account: Line(40, 1)
    title: Line(200, 1)                 # goes into email subjects: one line (input_policy)
    description: Text(5000) = ""
    kind: Literal["digital", "physical"]
    currency: Line(3, 3) = "USD"
    initial_price_cents: Int(0, 10_000_000)
    commission_initial_pct: Pct()
    commission_rebill_pct: Pct() = 0
    ship_to: list[Line(2, 2)] | None = Field(default=None, max_length=250)
    recurring: Recurring | None = None


class DescriptionUpdate(BaseModel):
    """The only change an approved product allows (R5): anything else in the body is a 422."""
    model_config = ConfigDict(extra="forbid")
    description: Text(5000)


class ProductOut(BaseModel):
    sku: str
    account: str
    title: str
    description: str
    kind: str
    currency: str
    initial_price_cents: int
    commission_initial_pct: float
    commission_rebill_pct: float
    ship_to: list[str]
    status: Literal["pending", "approved", "rejected"]
    recurring: RecurringOut | None


def _view(session: Session, product) -> dict:
    return products.product_view(product, session.get(VendorAccount, product.account_id).nickname)


@router.post("/products", status_code=201, response_model=ProductOut)
def create_product(body: ProductCreate, session: SessionDep, who: ActorDep,
                   clk: ClockDep):
    data = body.model_dump(exclude={"recurring"})
    terms = None
    if body.recurring:
        r = body.recurring
        terms = products.RecurringTerms(rebill_price_cents=r.rebill_price_cents, unit=r.frequency.unit,
                                        count=r.frequency.count, rebills=r.rebills, trial_days=r.trial_days)
    data["commission_initial_pct"] = str(round(body.commission_initial_pct, 4))
    data["commission_rebill_pct"] = str(round(body.commission_rebill_pct, 4))
    product = products.create_product(session, now=clk.now(), actor=who, recurring=terms, **data)
    return _view(session, product)


@router.post("/products/{sku}/approve", response_model=ProductOut)
def approve_product(sku: Sku, session: SessionDep, who: ActorDep,
                    clk: ClockDep):
    return _view(session, products.decide_product(session, now=clk.now(), actor=who, sku=sku, approve=True))


@router.post("/products/{sku}/reject", response_model=ProductOut)
def reject_product(sku: Sku, session: SessionDep, who: ActorDep,
                   clk: ClockDep):
    return _view(session, products.decide_product(session, now=clk.now(), actor=who, sku=sku, approve=False))


@router.get("/products/{sku}", response_model=ProductOut)
def get_product(sku: Sku, session: ReadSessionDep, who: ActorDep):
    product = products.get_product(session, sku)
    account = session.get(VendorAccount, product.account_id)
    if not who.can_see_account(account):
        raise NotFound(f"no product {sku!r}", "product_not_found")
    return _view(session, product)


@router.patch("/products/{sku}", response_model=ProductOut)
def update_product(sku: Sku, body: DescriptionUpdate, session: SessionDep, who: ActorDep,
                   clk: ClockDep):
    """Manage Products: change the description (the terms stay as approved, R5)."""
    return _view(session, products.update_description(session, now=clk.now(), actor=who, sku=sku,
                                                      description=body.description))
