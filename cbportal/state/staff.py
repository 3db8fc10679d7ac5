"""Staff home: accounts, escalations waiting for review (with the customer's words and the
thread) and the phone-ticket form; the product review and the stuck refunds have their own
states (staff_products.py, staff_refunds.py), loaded with this page."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.staff import desk as staff_desk
from cbportal.services.tickets import lifecycle as tickets
from cbportal.state import phone_form
from cbportal.state.base import PageState, is_staff
from cbportal.state.session import sentence
from cbportal.state.staff_products import StaffProductsState
from cbportal.state.staff_refunds import StaffRefundsState


class ThreadLine(TypedDict):
    author: str
    at: str
    body: str


class EscalationRow(TypedDict):
    id: int
    receipt: str
    account: str
    type: str
    status: str
    flagged: bool
    customer: str
    escalation_text: str
    thread: list[ThreadLine]


class AccountRow(TypedDict):
    nickname: str
    flagged: bool
    admin_frequencies: bool
    open_tickets: int
    time_zone: str


class StaffHomeState(PageState):
    accounts: list[AccountRow] = []
    escalations: list[EscalationRow] = []
    notice: str = ""
    account_count: int = 0
    loaded: bool = False

    @rx.event
    def load(self):
        actor, leave = self._enter(routes.STAFF)
        if actor is None:
            return leave
        with reader(get_engine()) as session:
            self.escalations = [EscalationRow(**row) for row in staff_desk.escalations(session, actor=actor)]
            self.accounts = [AccountRow(**row) for row in staff_desk.accounts(session, actor=actor)]
        self.account_count = len(self.accounts)
        self.loaded = True
        return [StaffProductsState.load, StaffRefundsState.load]

    @rx.event
    def review(self, ticket_id: int, decision: str, flag_vendor: bool):
        """Uphold the vendor, or refund now; optionally flag the vendor for abuse (R3)."""
        flag_vendor = bool(flag_vendor)
        return self._staff_change(
            lambda s, actor, now: tickets.review(s, now=now, actor=actor, ticket=tickets.get_ticket(s, int(ticket_id)),
                                                 decision=decision, flag_vendor=flag_vendor),
            f"Ticket #{ticket_id}: {'upheld' if decision == 'uphold' else 'refund processing now'}"
            + (", vendor flagged." if flag_vendor else "."))

    def _staff_change(self, change, done: str):
        actor, leave = self._or_sign_in(is_staff)
        if actor is None:
            return leave
        try:
            with session_scope() as session:
                change(session, actor, get_clock().now())
        except ServiceError as error:
            self.notice = sentence(error)
        else:
            self.notice = done
        return StaffHomeState.load

    @rx.event
    def set_flag(self, nickname: str, flagged: bool):
        """Flag (its open refund and cancel tickets process now, R3) or unflag a vendor."""
        nickname, flagged = str(nickname)[:40], bool(flagged)
        return self._staff_change(
            lambda s, actor, now: staff_desk.set_abuse_flag(s, now=now, actor=actor, nickname=nickname,
                                                            flagged=flagged),
            f"{nickname} flagged for abuse: its open refund and cancel tickets process now." if flagged
            else f"{nickname} unflagged.")

    @rx.event
    def set_admin_frequencies(self, nickname: str, granted: bool):
        nickname, granted = str(nickname)[:40], bool(granted)
        return self._staff_change(
            lambda s, actor, now: staff_desk.set_admin_frequencies(s, now=now, actor=actor, nickname=nickname,
                                                                   granted=granted),
            f"{nickname} {'may now use' if granted else 'may no longer use'} admin-controlled frequencies.")


class StaffPhoneState(PageState):
    """Staff open a ticket for a customer on the phone (receipt + email, like the portal)."""
    receipt_error: str = ""
    email_error: str = ""
    ticket_type: str = "refund"

    @rx.event
    def load(self):
        actor, leave = self._enter(routes.STAFF_PHONE)
        if actor is None:
            return leave
        self.error = self.receipt_error = self.email_error = ""

    @rx.event
    def choose_type(self, value: str):
        if value in ("refund", "cancel", "tech_support"):
            self.ticket_type = value

    @rx.event
    def open_ticket(self, form: dict):
        actor, leave = self._or_sign_in(is_staff)
        if actor is None:
            return leave
        receipt, email = phone_form.read(form)
        self.error = ""
        self.receipt_error, self.email_error = phone_form.problems(receipt, email)
        if self.receipt_error or self.email_error:
            return
        try:
            with session_scope() as session:
                ticket = staff_desk.phone_ticket(session, now=get_clock().now(), actor=actor,
                                                 receipt=receipt, email=email, type=self.ticket_type,
                                                 comment=str(form.get("comment", ""))[:5000] or None)
                session.flush()
                ticket_id = ticket.id
        except ServiceError as error:
            self.error = sentence(error)
            return
        return rx.redirect(routes.vendor_ticket(ticket_id))
