"""The ticket state machine (RULES R3): one table of (state, event, who) -> next state,
and `transition`, the one compare-and-set every ticket change goes through (the
lifecycle's open, reply, close, change type, escalation and review, and the worker's
processing, refund start and inactivity steps).

R3 read as a table:
- a ticket is `open` until `process_at`; then it is `due` (being processed: no close
  or type change any more, "before process_at either party may close the ticket or
  change its type"); a refund with money to return is `refund_pending` until the
  gateway confirms it; then, or at once for a cancel, it is `closed` (reason processed);
- the customer, the vendor and staff may reply while the ticket is not closed;
- the customer, staff and the vendor may close or change an `open` ticket, the vendor
  only with the customer's consent (or its own refund/cancel request), and a flagged
  vendor never on a refund or cancel ticket;
- only the worker (`system`) processes, starts refunds and sends inactivity steps;
- escalation is its own axis: a ticket the vendor closed or changed is `escalatable`;
  the customer escalates it; staff uphold it or reopen it as a refund.

`due` is reached by the clock (process_at passing), not by an event. Every missing
entry is refused with a named `Refusal` whose message is a plain sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from cbportal.models import EscalationStatus, RefundStatus, Ticket, TicketStatus, TicketType
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, ServiceError


class State(StrEnum):
    NEW = "new"                            # no ticket yet (opening)
    OPEN = "open"                          # before process_at
    DUE = "due"                            # process_at reached: being processed
    REFUND_PENDING = "refund_pending"      # refund sent, waiting for the gateway
    CLOSED = "closed"
    # the escalation axis
    NOT_ESCALATABLE = "not_escalatable"
    ESCALATABLE = "escalatable"
    ESCALATED = "escalated"


class Event(StrEnum):
    OPEN = "open"
    REPLY = "reply"
    CLOSE = "close"
    CHANGE_TYPE = "change_type"
    PROCESS = "process"                    # worker: a cancel, or a refund with nothing left to return
    START_REFUND = "start_refund"          # worker: the refund goes to the gateway
    REFUND_CONFIRMED = "refund_confirmed"  # worker: the gateway confirmed it
    WARN_INACTIVE = "warn_inactive"
    CLOSE_INACTIVE = "close_inactive"
    ESCALATE = "escalate"
    UPHOLD = "uphold"
    REOPEN_AS_REFUND = "reopen_as_refund"


class Who(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"                              # with the customer's consent, or its own request
    VENDOR_WITHOUT_CONSENT = "vendor_without_consent"
    FLAGGED_VENDOR = "flagged_vendor"              # on a refund or cancel ticket
    STAFF = "staff"
    SYSTEM = "system"


ESCALATION_EVENTS = frozenset({Event.ESCALATE, Event.UPHOLD, Event.REOPEN_AS_REFUND})
PEOPLE = (Who.CUSTOMER, Who.VENDOR, Who.VENDOR_WITHOUT_CONSENT, Who.FLAGGED_VENDOR, Who.STAFF)
NOT_CLOSED = (State.OPEN, State.DUE, State.REFUND_PENDING)


@dataclass(frozen=True)
class Refusal:
    """A named refusal: the error class, its code and a plain sentence ({id}: the ticket)."""
    name: str
    error: type[ServiceError]
    message: str

    def exception(self, ticket_id: int | None) -> ServiceError:
        return self.error(self.message.format(id=ticket_id), self.name)


CLOSED_ALREADY = Refusal("ticket_closed", Conflict, "ticket #{id} is closed")
BEING_PROCESSED = Refusal("ticket_processing", Conflict, "ticket #{id} is being processed now")
CONSENT_REQUIRED = Refusal("customer_consent_required", Invalid,
                           "the vendor may do this only with the customer's consent: affirm customer_consent")
VENDOR_FLAGGED = Refusal("vendor_flagged", Forbidden,
                         "this account is flagged: its refund and cancel tickets can't be closed or changed")
NOT_DUE = Refusal("ticket_not_due", Conflict, "ticket #{id} is not due for processing")
NO_REFUND_PENDING = Refusal("no_refund_pending", Conflict, "ticket #{id} has no refund waiting for confirmation")
WORKER_ONLY = Refusal("worker_only", Forbidden, "only the portal itself does this to a ticket")
PEOPLE_ONLY = Refusal("people_only", Forbidden, "only a person can do this on a ticket")
NOT_ESCALATABLE = Refusal("not_escalatable", Conflict, "only a ticket the vendor closed or changed can be escalated")
ALREADY_ESCALATED = Refusal("already_escalated", Conflict, "this ticket is already escalated")
CUSTOMER_ONLY = Refusal("customer_only", Forbidden, "only the customer can ask for a review of this ticket")
NOT_ESCALATED = Refusal("not_escalated", Conflict, "this ticket is not waiting for review")
STAFF_ONLY = Refusal("staff_only", Forbidden, "only platform staff can decide a review")
ALREADY_OPEN = Refusal("ticket_already_open", Conflict, "ticket #{id} is already open")
WRONG_AXIS = Refusal("not_a_ticket_change", Conflict, "that change does not apply to this ticket")
CHANGED_MEANWHILE = Refusal("ticket_conflict", Conflict, "ticket #{id} changed meanwhile; reload it")


def _table() -> dict[tuple[State, Event, Who], State]:
    table: dict[tuple[State, Event, Who], State] = {}
    for who in (Who.CUSTOMER, Who.VENDOR, Who.STAFF):
        table[State.NEW, Event.OPEN, who] = State.OPEN
    for state in NOT_CLOSED:
        for who in PEOPLE:
            table[state, Event.REPLY, who] = state
    for who in (Who.CUSTOMER, Who.VENDOR, Who.STAFF):
        table[State.OPEN, Event.CLOSE, who] = State.CLOSED
        table[State.OPEN, Event.CHANGE_TYPE, who] = State.OPEN
    table[State.DUE, Event.PROCESS, Who.SYSTEM] = State.CLOSED
    table[State.DUE, Event.START_REFUND, Who.SYSTEM] = State.REFUND_PENDING
    table[State.REFUND_PENDING, Event.REFUND_CONFIRMED, Who.SYSTEM] = State.CLOSED
    table[State.OPEN, Event.WARN_INACTIVE, Who.SYSTEM] = State.OPEN
    table[State.OPEN, Event.CLOSE_INACTIVE, Who.SYSTEM] = State.CLOSED
    table[State.ESCALATABLE, Event.ESCALATE, Who.CUSTOMER] = State.ESCALATED
    table[State.ESCALATED, Event.UPHOLD, Who.STAFF] = State.ESCALATABLE
    table[State.ESCALATED, Event.REOPEN_AS_REFUND, Who.STAFF] = State.ESCALATABLE
    return table


TABLE = _table()

WORKER_EVENTS = frozenset({Event.PROCESS, Event.START_REFUND, Event.REFUND_CONFIRMED, Event.WARN_INACTIVE,
                           Event.CLOSE_INACTIVE})


def refusal(state: State, event: Event, who: Who) -> Refusal:
    """Why the table has no entry for (state, event, who): the first reason that applies."""
    if event in ESCALATION_EVENTS:
        return _escalation_refusal(state, event, who)
    if (state in ESCALATION_STATES) or (state is State.NEW) != (event is Event.OPEN):
        return ALREADY_OPEN if event is Event.OPEN else WRONG_AXIS
    if event in WORKER_EVENTS:
        if who is not Who.SYSTEM:
            return WORKER_ONLY
        if state is State.CLOSED:
            return CLOSED_ALREADY
        return NO_REFUND_PENDING if event is Event.REFUND_CONFIRMED else (
            NOT_DUE if state is not State.DUE or event in (Event.WARN_INACTIVE, Event.CLOSE_INACTIVE) else
            BEING_PROCESSED)
    if who is Who.SYSTEM:
        return PEOPLE_ONLY
    if state is State.CLOSED:
        return CLOSED_ALREADY
    if state in (State.DUE, State.REFUND_PENDING):
        return BEING_PROCESSED
    return VENDOR_FLAGGED if who is Who.FLAGGED_VENDOR else CONSENT_REQUIRED


ESCALATION_STATES = (State.NOT_ESCALATABLE, State.ESCALATABLE, State.ESCALATED)


def _escalation_refusal(state: State, event: Event, who: Who) -> Refusal:
    if state not in ESCALATION_STATES:
        return WRONG_AXIS
    if event is Event.ESCALATE:
        if state is State.ESCALATED:
            return ALREADY_ESCALATED
        return NOT_ESCALATABLE if state is State.NOT_ESCALATABLE else CUSTOMER_ONLY
    if state is not State.ESCALATED:
        return NOT_ESCALATED
    return STAFF_ONLY


def step(state: State, event: Event, who: Who, ticket_id: int | None = None) -> State:
    """The next state, or the named refusal raised as its error."""
    nxt = TABLE.get((state, event, who))
    if nxt is None:
        raise refusal(state, event, who).exception(ticket_id)
    return nxt


# --- reading a ticket -----------------------------------------------------------------------

def state_of(ticket: Ticket, now: datetime) -> State:
    """The ticket's state on the status axis at `now`."""
    if ticket.status == TicketStatus.CLOSED:
        return State.CLOSED
    if ticket.refund_status == RefundStatus.PENDING:
        return State.REFUND_PENDING
    if ticket.process_at is not None and ticket.process_at <= now:
        return State.DUE
    return State.OPEN


def escalation_state_of(ticket: Ticket) -> State:
    if ticket.escalation == EscalationStatus.PENDING:
        return State.ESCALATED
    return State.ESCALATABLE if ticket.vendor_closed_or_changed else State.NOT_ESCALATABLE


def who_of(party: str, *, flagged: bool = False, consent: bool = True, ticket_type: TicketType | None = None) -> Who:
    """The table's `who` for a party: a vendor is flagged (on a refund or cancel ticket),
    acting without the customer's consent, or plainly the vendor."""
    if party != Who.VENDOR:
        return Who(str(party))
    if flagged and ticket_type not in (None, TicketType.TECH_SUPPORT):
        return Who.FLAGGED_VENDOR
    return Who.VENDOR if consent else Who.VENDOR_WITHOUT_CONSENT


# --- the one compare-and-set -------------------------------------------------------------------

def _status_for(state: State) -> TicketStatus:
    return TicketStatus.CLOSED if state is State.CLOSED else TicketStatus.OPEN


def _conditions(ticket: Ticket, event: Event, expect: dict) -> list:
    if event in ESCALATION_EVENTS:
        cond = [Ticket.id == ticket.id, Ticket.escalation == ticket.escalation]
    else:
        cond = [Ticket.id == ticket.id, Ticket.status == ticket.status, Ticket.type == ticket.type]
        expect = {"process_at": ticket.process_at, "refund_status": ticket.refund_status, **expect}
    for name, value in expect.items():
        column = getattr(Ticket, name)
        cond.append(column.is_(None) if value is None else column == value)
    return cond


def transition(session: Session, ticket: Ticket, event: Event, who: Who, *, now: datetime,
               values: dict | None = None, expect: dict | None = None, quiet: bool = False,
               refresh: bool = True) -> State | None:
    """Move `ticket` by `event` as `who`: refuse what the table does not allow, then
    compare-and-set the row on what was read (status, type, process_at and refund
    status: the state; the escalation for the escalation axis; plus `expect`) writing the table's status and
    `values`. A lost race raises `ticket_conflict`, or returns None when `quiet` (the
    worker skips rows another worker took). `refresh=False` copies the values onto the
    object as committed (no read back, no second UPDATE)."""
    escalation = event in ESCALATION_EVENTS
    state = escalation_state_of(ticket) if escalation else state_of(ticket, now)
    nxt = step(state, event, who, ticket.id)
    values = dict(values or {})
    if not escalation:
        values["status"] = _status_for(nxt)
    elif event is Event.REOPEN_AS_REFUND:
        values["status"] = TicketStatus.OPEN      # "reopen it as a refund that processes at once"
    changed = session.execute(update(Ticket).where(*_conditions(ticket, event, expect or {})).values(**values)
                              .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        if quiet:
            return None
        raise CHANGED_MEANWHILE.exception(ticket.id)
    if refresh:
        session.refresh(ticket)
    else:
        for name, value in values.items():
            set_committed_value(ticket, name, value)   # written by the UPDATE above: no second UPDATE
    return nxt
