"""Routes: accounts (staff create, owner settings)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from cbportal.api.deps import actor, clock, db_session
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.services import accounts
from cbportal.services.auth import Actor

router = APIRouter(tags=["accounts"], responses=ERROR_RESPONSES)


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nickname: str = Field(max_length=40)
    time_zone: str = Field(default="UTC", max_length=64)
    account_email: str = Field(max_length=254)
    customer_service_email: str | None = Field(default=None, max_length=254)
    admin_frequencies: bool = False


class AccountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_zone: str | None = Field(default=None, max_length=64)
    customer_service_email: str | None = Field(default=None, max_length=254)
    reminder_days: int | None = Field(default=None, ge=0, le=60)
    ins_url: str | None = Field(default=None, max_length=500)
    ins_secret: str | None = Field(default=None, max_length=200)


class AccountOut(BaseModel):
    nickname: str
    time_zone: str
    account_email: str
    customer_service_email: str | None
    admin_frequencies: bool
    abuse_flagged: bool
    reminder_days: int
    ins_url: str | None
    contact_phone: str | None
    contact_url: str | None


class AccountCreated(AccountOut):
    owner_api_key: str


@router.post("/accounts", status_code=201, response_model=AccountCreated)
def create_account(body: AccountCreate, session: Session = Depends(db_session), who: Actor = Depends(actor),
                   clk=Depends(clock)):
    account, key = accounts.create_account(session, now=clk.now(), actor=who, **body.model_dump())
    return {**accounts.account_view(account), "owner_api_key": key}


@router.post("/accounts/{nickname}/settings", response_model=AccountOut)
def update_settings(nickname: str, body: AccountSettings, session: Session = Depends(db_session),
                    who: Actor = Depends(actor), clk=Depends(clock)):
    changes = body.model_dump(exclude_unset=True)
    account = accounts.update_settings(session, now=clk.now(), actor=who, nickname=nickname, **changes)
    return accounts.account_view(account)
