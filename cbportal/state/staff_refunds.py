"""Staff: the stuck-refunds queue (RULES R3, issue 11): refunds the gateway has not
completed 3 days after they began, with "retry now" and "mark refunded" (a reason,
audited). Each handler re-checks that the caller is staff; the services decide."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import Invalid, ServiceError
from cbportal.services.staff import desk as staff_desk
from cbportal.state.base import PageState, is_staff
from cbportal.state.session import sentence


class StuckRow(TypedDict):
    attempt_id: int
    customer: str
    receipt: str
    amount: str
    tries: int
    message: str
    age: str
    ticket_id: int


class StaffRefundsState(PageState):
    stuck: list[StuckRow] = []
    notice: str = ""
    loaded: bool = False

    def _refresh(self, actor) -> None:
        with reader(get_engine()) as session:
            rows = staff_desk.stuck_refunds(session, now=get_clock().now(), actor=actor)
        self.stuck = [StuckRow(attempt_id=r["attempt_id"], customer=f"{r['customer_name']} <{r['customer_email']}>",
                               receipt=r["receipt"], amount=r["amount"], tries=r["tries"],
                               message=r["message"] or "(no answer from the payment processor)", age=r["age"],
                               ticket_id=r["ticket_id"] or 0) for r in rows]
        self.loaded = True

    @rx.event
    def load(self):
        actor, leave = self._or_sign_in(is_staff, next=routes.STAFF)
        if actor is None:
            return leave
        self._refresh(actor)

    def _act(self, change, done: str):
        actor, leave = self._or_sign_in(is_staff)
        if actor is None:
            return leave
        self.notice, self.error = "", ""
        try:
            with session_scope() as session:
                change(session, actor, get_clock().now())
        except Invalid as error:      # what was typed: keep the list (and the open dialog) as it is
            self.error = sentence(error)
            return
        except ServiceError as error:
            self.error = sentence(error)
        else:
            self.notice = done
        self._refresh(actor)

    @rx.event
    def retry(self, attempt_id: int):
        """Ask the payment processor again at the next worker pass."""
        attempt_id = int(attempt_id)
        return self._act(lambda s, actor, now: staff_desk.retry_refund(s, now=now, actor=actor, attempt_id=attempt_id),
                         "The refund will be tried again within a minute; this list shows the result.")

    @rx.event
    def mark_refunded(self, form: dict):
        """The money went back outside the payment processor: record it, with the reason."""
        try:
            attempt_id = int(form.get("attempt_id", ""))
        except (TypeError, ValueError):
            self.error = "Pick a refund from the list."
            return
        reason = str(form.get("reason", ""))[:2000]
        return self._act(lambda s, actor, now: staff_desk.mark_refunded(s, now=now, actor=actor, attempt_id=attempt_id,
                                                                        reason=reason),
                         "Marked refunded: the ticket is closed and both parties have the confirmation.")
