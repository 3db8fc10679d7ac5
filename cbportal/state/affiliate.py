"""The "Subscriptions you referred" section of the Reports page (issue 17 point 3): the
subscriptions whose orders name one of the user's accounts as affiliate, with the
commission of every bill (services/billing/affiliates.py; Manage Orders, checked on every event)."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader
from cbportal.services.billing import affiliates
from cbportal.services.core.errors import ServiceError
from cbportal.services.core.money import format_cents
from cbportal.state.base import PageState
from cbportal.state.session import sentence

STATUS_WORDS = {"active": "active", "dunning": "in dunning", "canceled": "canceled", "completed": "completed"}
COMMISSION_WORDS = {"earned": "earned", "reversed": "reversed (refunded)", "not earned": "not earned"}


class ReferredRow(TypedDict):
    receipt: str
    product: str
    vendor: str
    status: str
    next_bill: str
    bills: str           # "Jan 15 $14.69 earned · Feb 15 $4.93 earned"
    earned: str


class AffiliateState(PageState):
    referred: list[ReferredRow] = []
    referred_total: str = ""
    referred_error: str = ""

    def _refresh(self, actor) -> None:
        with reader(get_engine()) as session:
            result = affiliates.referred_subscriptions(session, actor=actor)
        self.referred = [ReferredRow(
            receipt=s["receipt"], product=s["title"], vendor=s["vendor"], status=STATUS_WORDS[s["status"]],
            next_bill=s["next_bill_date"] or "–",
            bills=" · ".join(f"{b['scheduled_date']} {format_cents(b['commission_cents'], s['currency'])} "
                             f"{COMMISSION_WORDS[b['commission_status']]}" for b in s["bills"]),
            earned=format_cents(s["commission_earned_cents"], s["currency"])) for s in result["subscriptions"]]
        self.referred_total = ", ".join(format_cents(t["cents"], t["currency"]) for t in result["commission_earned"])

    @rx.event
    def load_referred(self):
        self.referred, self.referred_total, self.referred_error = [], "", ""
        actor, _ = self._enter(routes.VENDOR_REPORTS)    # the page's own load sends a visitor to sign in
        if actor is None:
            return
        try:
            self._refresh(actor)
        except ServiceError as error:
            self.referred_error = sentence(error)
