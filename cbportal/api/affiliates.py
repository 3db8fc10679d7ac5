"""Route: the subscriptions an account referred as affiliate, with its commission per bill
(issue 17 point 3, services/billing/affiliates.py; Manage Orders on the affiliate account)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel

from cbportal.api.deps import ActorDep, ReadSessionDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.services.billing import affiliates
from cbportal.services.core.input_policy import line

router = APIRouter(tags=["affiliates"], responses=ERROR_RESPONSES)

Nickname = Annotated[str, Query(max_length=40, description="one of your accounts; empty: all of them"),
                     AfterValidator(lambda v: line(v, "account", 40))]


class AffiliateBillOut(BaseModel):
    seq: int
    kind: Literal["initial", "rebill"]
    scheduled_date: str
    amount_cents: int
    commission_cents: int
    status: str
    commission_status: Literal["earned", "reversed", "not earned"]


class ReferredSubscriptionOut(BaseModel):
    receipt: str
    affiliate: str
    vendor: str
    sku: str
    title: str
    currency: str
    created_at: str
    status: Literal["active", "dunning", "canceled", "completed"]
    next_bill_date: str | None
    payments_remaining: int | None
    commission_earned_cents: int
    bills: list[AffiliateBillOut]


class CurrencyTotal(BaseModel):
    currency: str
    cents: int


class ReferredOut(BaseModel):
    affiliates: list[str]
    subscriptions: list[ReferredSubscriptionOut]
    commission_earned: list[CurrencyTotal]


@router.get("/affiliate/subscriptions", response_model=ReferredOut)
def referred_subscriptions(session: ReadSessionDep, who: ActorDep, account: Nickname = ""):
    """Subscriptions whose orders name one of your accounts as affiliate; no customer details."""
    return affiliates.referred_subscriptions(session, actor=who, account=account)
