"""The sandbox's stand-in for Stripe's servers (mounted only when CBPORTAL_PAYMENTS=sandbox):
its Stripe.js look-alike (`GET /sandbox/stripe.js`) and the tokenizer it posts card or IBAN
details to (`POST /sandbox/payment_methods`), so the pages have one flow for both gateways
and the order routes receive only tokens (docs/payments.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from cbportal.api.errors import ERROR_RESPONSES
from cbportal.services.billing.gateways import get_gateway

router = APIRouter(tags=["sandbox"], responses=ERROR_RESPONSES)
SCRIPT = Path(__file__).with_name("sandbox_stripe.js")


class CardIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    number: str = Field(max_length=23)
    exp_month: int | str
    exp_year: int | str
    cvc: str | None = Field(default=None, max_length=4)


class SepaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    iban: str = Field(max_length=42)


class MethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["card", "sepa_debit"]
    card: CardIn | None = None
    sepa_debit: SepaIn | None = None
    billing_details: dict | None = None


class CardOut(BaseModel):
    last4: str
    exp_month: int
    exp_year: int


class SepaOut(BaseModel):
    last4: str
    country: str


class MethodOut(BaseModel):
    id: str
    object: Literal["payment_method"]
    type: Literal["card", "sepa_debit"]
    card: CardOut | None = None
    sepa_debit: SepaOut | None = None


@router.get("/sandbox/stripe.js", include_in_schema=False)
def stripe_js() -> Response:
    return Response(SCRIPT.read_text(), media_type="application/javascript",
                    headers={"Cache-Control": "no-cache"})


@router.post("/sandbox/payment_methods", response_model=MethodOut)
def create_payment_method(body: MethodIn):
    """Card or IBAN details -> a sandbox payment method token (what Stripe.js gets from Stripe)."""
    return get_gateway("sandbox").tokenize(type=body.type, card=body.card.model_dump() if body.card else None,
                                           sepa_debit=body.sepa_debit.model_dump() if body.sepa_debit else None)
