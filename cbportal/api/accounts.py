"""Routes: accounts (staff create, owner settings)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cbportal.api.deps import ActorDep, ClockDep, SessionDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.services.accounts import accounts, business_calendars
from cbportal.services.core.input_policy import Bool, Int, Line

router = APIRouter(tags=["accounts"], responses=ERROR_RESPONSES)


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nickname: Line(40, 1)
    time_zone: Line(64, 1) = "UTC"
    account_email: Line(254, 3)
    customer_service_email: Line(254) | None = None
    admin_frequencies: Bool = False


class ClosedDay(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: date
    label: str = Field(default="", max_length=80)


CALENDAR_FIELDS = ("holiday_country", "holiday_region", "closed_dates")


class AccountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_zone: Line(64, 1) | None = None
    customer_service_email: Line(254) | None = None
    reminder_days: Int(0, 60) | None = None
    ins_url: Line(500) | None = None
    ins_secret: Line(200) | None = None
    holiday_country: Line(3) | None = None
    holiday_region: Line(12) | None = None
    closed_dates: list[ClosedDay] | None = Field(default=None, max_length=100)


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
    holiday_country: str | None = None
    holiday_region: str | None = None
    closed_dates: list[ClosedDay] = []


class AccountCreated(AccountOut):
    owner_api_key: str


@router.post("/accounts", status_code=201, response_model=AccountCreated)
def create_account(body: AccountCreate, session: SessionDep, who: ActorDep,
                   clk: ClockDep):
    account, key = accounts.create_account(session, now=clk.now(), actor=who, **body.model_dump())
    return {**accounts.account_view(account), "owner_api_key": key}


@router.post("/accounts/{nickname}/settings", response_model=AccountOut)
def update_settings(nickname: str, body: AccountSettings, session: SessionDep,
                    who: ActorDep, clk: ClockDep):
    changes = body.model_dump(exclude_unset=True)
    calendar = {name: changes.pop(name) for name in CALENDAR_FIELDS if name in changes}
    account = accounts.update_settings(session, now=clk.now(), actor=who, nickname=nickname, **changes)
    if calendar:  # R2 holiday calendar and closed dates
        closed = calendar.pop("closed_dates", None)
        account = business_calendars.set_calendar(
            session, now=clk.now(), actor=who, nickname=nickname,
            **{"country" if k == "holiday_country" else "region": v for k, v in calendar.items()},
            **({} if "closed_dates" not in body.model_fields_set else {"closed": closed or []}))
    return {**accounts.account_view(account), **business_calendars.view(session, account)}
