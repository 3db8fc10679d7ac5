"""Routes: tickets, for vendors and their systems (API key) and for customers
(receipt or ticket id + the order's email). RULES R3, R4."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from cbportal.api.deps import ActorDep, ClockDep, ReadSessionDep, SessionDep
from cbportal.api.errors import ERROR_RESPONSES
from cbportal.models import Role
from cbportal.services.billing import orders
from cbportal.services.core.input_policy import Bool, Line, Text
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets.acting import acting_for, opening_as

TicketId = Annotated[int, Path(ge=1, le=2_147_483_647, description="the ticket's id")]

router = APIRouter(tags=["tickets"], responses=ERROR_RESPONSES)

TicketTypeIn = Literal["tech_support", "refund", "cancel"]
Reason = Literal["customer_request", "not_as_described", "technical_issue", "duplicate_purchase", "other"]
Email = Line(254, 3)
Body = Text(10_000, 1)
Receipt = Line(32, 1)
Comment_ = Text(10_000)


class Comment(BaseModel):
    author: Literal["customer", "vendor", "staff", "system"]
    body: str
    at: datetime


class Event(BaseModel):
    kind: str
    at: datetime
    actor: str


class TicketOut(BaseModel):
    id: int
    receipt: str
    type: TicketTypeIn
    status: Literal["open", "closed"]
    opened_by: str
    opened_at: datetime
    process_at: datetime | None
    refund_status: Literal["pending", "succeeded"] | None = Field(
        None, description="a refund ticket's money: pending until the payment processor confirms it")
    closed_at: datetime | None
    close_reason: Literal["customer", "vendor", "processed", "inactivity", "staff"] | None
    escalated: bool
    reason: str | None
    comments: list[Comment]
    events: list[Event]


class VendorOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipt: Receipt
    type: TicketTypeIn
    reason: Reason = "customer_request"
    comment: Comment_ | None = None
    on_behalf_of_customer: Bool = False


class CustomerOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipt: Receipt
    email: Email
    type: TicketTypeIn
    comment: Comment_ | None = None


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Body


class CustomerCommentIn(CommentIn):
    email: Email


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_consent: Bool = False


class CustomerEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: TicketTypeIn
    customer_consent: Bool = False


class CustomerChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    type: TicketTypeIn


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    comment: Body


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["uphold", "refund"]
    flag_vendor: Bool = False
    comment: Comment_ | None = None


def _view(session: Session, ticket) -> dict:
    session.flush()
    return tickets.ticket_view(session, ticket)


# --- vendor, clerk, staff (API key) -----------------------------------------------------

@router.post("/tickets", status_code=201, response_model=TicketOut)
def open_ticket(body: VendorOpen, session: SessionDep, who: ActorDep,
                clk: ClockDep):
    order = orders.vendor_order(session, actor=who, receipt=body.receipt, role=Role.MANAGE_TICKETS)
    acting, opener = opening_as(who)          # staff: a phone request, with the customer's timing
    ticket = tickets.open_ticket(session, now=clk.now(), order=order, type=body.type, who=acting, opener=opener,
                                 reason=None if who.is_staff else body.reason, comment=body.comment)
    return _view(session, ticket)


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: TicketId, session: ReadSessionDep, who: ActorDep):
    return _view(session, tickets.vendor_ticket(session, actor=who, ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/comments", response_model=TicketOut)
def vendor_comment(ticket_id: TicketId, body: CommentIn, session: SessionDep,
                   who: ActorDep, clk: ClockDep):
    ticket = tickets.vendor_ticket(session, actor=who, ticket_id=ticket_id)
    return _view(session, tickets.reply(session, now=clk.now(), ticket=ticket, who=acting_for(who), body=body.body))


@router.post("/tickets/{ticket_id}/close", response_model=TicketOut)
def vendor_close(ticket_id: TicketId, body: CloseIn, session: SessionDep, who: ActorDep,
                 clk: ClockDep):
    ticket = tickets.vendor_ticket(session, actor=who, ticket_id=ticket_id)
    return _view(session, tickets.close(session, now=clk.now(), ticket=ticket, who=acting_for(who),
                                        customer_consent=body.customer_consent))


@router.post("/tickets/{ticket_id}/change-type", response_model=TicketOut)
def vendor_change(ticket_id: TicketId, body: ChangeIn, session: SessionDep,
                  who: ActorDep, clk: ClockDep):
    ticket = tickets.vendor_ticket(session, actor=who, ticket_id=ticket_id)
    return _view(session, tickets.change_type(session, now=clk.now(), ticket=ticket, who=acting_for(who),
                                              type=body.type, customer_consent=body.customer_consent))


@router.post("/tickets/{ticket_id}/review", response_model=TicketOut)
def staff_review(ticket_id: TicketId, body: ReviewIn, session: SessionDep,
                 who: ActorDep, clk: ClockDep):
    who.require_staff()
    ticket = tickets.get_ticket(session, ticket_id)
    return _view(session, tickets.review(session, now=clk.now(), actor=who, ticket=ticket, decision=body.decision,
                                         flag_vendor=body.flag_vendor, comment=body.comment))


# --- customers (receipt / ticket + email) -------------------------------------------------

@router.post("/customer/tickets", status_code=201, response_model=TicketOut)
def customer_open(body: CustomerOpen, session: SessionDep, clk: ClockDep):
    order = orders.customer_lookup(session, receipt=body.receipt, email=body.email)
    acting, opener = opening_as(None)         # nobody logged in: the customer
    ticket = tickets.open_ticket(session, now=clk.now(), order=order, type=body.type, who=acting, opener=opener,
                                 comment=body.comment)
    return _view(session, ticket)


@router.post("/customer/tickets/{ticket_id}/view", response_model=TicketOut)
def customer_view(ticket_id: TicketId, body: CustomerEmail, session: ReadSessionDep):
    return _view(session, tickets.customer_ticket(session, ticket_id=ticket_id, email=body.email))


@router.post("/customer/tickets/{ticket_id}/comments", response_model=TicketOut)
def customer_comment(ticket_id: TicketId, body: CustomerCommentIn, session: SessionDep,
                     clk: ClockDep):
    ticket = tickets.customer_ticket(session, ticket_id=ticket_id, email=body.email)
    return _view(session, tickets.reply(session, now=clk.now(), ticket=ticket, who=tickets.CUSTOMER, body=body.body))


@router.post("/customer/tickets/{ticket_id}/close", response_model=TicketOut)
def customer_close(ticket_id: TicketId, body: CustomerEmail, session: SessionDep, clk: ClockDep):
    ticket = tickets.customer_ticket(session, ticket_id=ticket_id, email=body.email)
    return _view(session, tickets.close(session, now=clk.now(), ticket=ticket, who=tickets.CUSTOMER))


@router.post("/customer/tickets/{ticket_id}/change-type", response_model=TicketOut)
def customer_change(ticket_id: TicketId, body: CustomerChangeIn, session: SessionDep,
                    clk: ClockDep):
    ticket = tickets.customer_ticket(session, ticket_id=ticket_id, email=body.email)
    return _view(session, tickets.change_type(session, now=clk.now(), ticket=ticket, who=tickets.CUSTOMER,
                                              type=body.type))


@router.post("/customer/tickets/{ticket_id}/escalate", response_model=TicketOut)
def customer_escalate(ticket_id: TicketId, body: EscalateIn, session: SessionDep, clk: ClockDep):
    ticket = tickets.customer_ticket(session, ticket_id=ticket_id, email=body.email)
    return _view(session, tickets.escalate(session, now=clk.now(), ticket=ticket, comment=body.comment))
