"""Staff: products awaiting approval, each with every term and the R1 commission split;
approve, or reject with a reason the vendor is emailed (issue 16 point 6)."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import Invalid, ServiceError
from cbportal.services.staff import products as staff_products
from cbportal.state.base import PageState, is_staff
from cbportal.state.session import sentence


class ReviewRow(TypedDict):
    sku: str
    account: str
    title: str
    description: str
    kind: str
    initial: str
    rebill: str
    frequency: str
    trial: str
    payments: str
    shipping: str
    initial_split: str
    rebill_split: str
    affiliate_total: str


def _split_words(split: dict | None, what: str) -> str:
    if not split:
        return ""
    return (f"{what} {split['price']}: net {split['net']}, with an affiliate {split['commission']} to the affiliate "
            f"({split['rate']}) and {split['vendor']} to the vendor; without one, {split['net']} to the vendor.")


class StaffProductsState(PageState):
    queue: list[ReviewRow] = []
    notice: str = ""

    def _refresh(self, actor) -> None:
        with reader(get_engine()) as session:
            rows = staff_products.review_queue(session, actor=actor)
        self.queue = [ReviewRow(**{k: r[k] for k in ("sku", "account", "title", "description", "kind", "initial",
                                                      "rebill", "frequency", "trial", "payments", "shipping",
                                                      "affiliate_total")},
                                initial_split=_split_words(r["initial_split"], "Initial sale"),
                                rebill_split=_split_words(r["rebill_split"], "Each rebill")) for r in rows]

    @rx.event
    def load(self):
        actor, leave = self._or_sign_in(is_staff, next=routes.STAFF)
        if actor is None:
            return leave
        self._refresh(actor)

    def _decide(self, sku: str, approve: bool, reason: str):
        actor, leave = self._or_sign_in(is_staff)
        if actor is None:
            return leave
        self.notice, self.error = "", ""
        try:
            with session_scope() as session:
                staff_products.decide(session, now=get_clock().now(), actor=actor, sku=sku, approve=approve,
                                      reason=reason)
        except Invalid as error:      # what was typed: keep the list (and the open dialog) as it is
            self.error = sentence(error)
            return
        except ServiceError as error:
            self.error = f"{sku}: {sentence(error)}"
        else:
            self.notice = (f"{sku} approved: it is on sale now." if approve
                           else f"{sku} rejected; the vendor has been emailed the reason.")
        self._refresh(actor)

    @rx.event
    def approve(self, sku: str):
        return self._decide(str(sku)[:64], True, "")

    @rx.event
    def reject(self, form: dict):
        return self._decide(str(form.get("sku", ""))[:64], False, str(form.get("reason", ""))[:2000])
