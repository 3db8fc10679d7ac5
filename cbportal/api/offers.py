"""Routes: order bump and one-click upsell (issue 17 point 2, services/billing/offers.py): the
vendor sets a product's offers (Manage Products); the checkout reads them with their
terms; the customer adds an offered item on the payment method of their order."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cbportal.api.deps import ActorDep, ClockDep, ReadSessionDep, SessionDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.api.orders import OrderOut, Receipt, _view
from cbportal.api.products import Sku
from cbportal.db import get_engine
from cbportal.services.billing import offers
from cbportal.services.billing.gateways import get_gateway
from cbportal.services.core.input_policy import Bool, Line

router = APIRouter(tags=["order bump and upsell"], responses=ERROR_RESPONSES)


class OffersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bump_sku: Line(64) | None = None
    upsell_skus: list[Line(64, 1)] = Field(default_factory=list, max_length=offers.MAX_UPSELLS)


class OfferOut(BaseModel):
    sku: str
    title: str
    description: str
    vendor: str
    today: str
    terms: str
    physical: bool
    ship_to: str
    currency: str
    recurring: bool


class OffersOut(BaseModel):
    sku: str
    bump: OfferOut | None
    upsells: list[OfferOut]


class AddOfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Line(254, 3)
    sku: Line(64, 1)
    kind: Literal["bump", "upsell"]
    understand_recurring_terms: Bool = False


@router.put("/products/{sku}/offers", response_model=OffersOut)
def set_offers(sku: Sku, body: OffersIn, session: SessionDep, who: ActorDep,
               clk: ClockDep):
    return offers.set_offers(session, now=clk.now(), actor=who, sku=sku, bump_sku=body.bump_sku or None,
                             upsell_skus=body.upsell_skus)


@router.get("/products/{sku}/offers", response_model=OffersOut)
def get_offers(sku: Sku, session: ReadSessionDep, clk: ClockDep):
    """Public, like the order form: the bump and upsells with the terms shown beside each."""
    return offers.offers_for(session, sku=sku, now=clk.now())


@router.post("/customer/orders/{receipt}/offers", status_code=201, response_model=OrderOut)
def add_offer(receipt: Receipt, body: AddOfferIn, clk: ClockDep):
    """Add an offered item to the customer's purchase: a new order on the same payment method."""
    new = offers.add_item(get_engine(), now=clk.now(), gateway=get_gateway(), receipt=receipt, email=body.email,
                          sku=body.sku, kind=body.kind, understood=body.understand_recurring_terms)
    return _view(new)
