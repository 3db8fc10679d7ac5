"""Vendor transactions, the search: filters, paging and the CSV export (RULES R7). The
transaction window (state/order_window.py) and the Manage Subscription modal
(state/manage_subscription.py) are its substates. Thin: every handler resolves the
signed-in user and calls the services, which check role and account."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader
from cbportal.services.billing import transactions
from cbportal.services.core.errors import ServiceError
from cbportal.state.base import PageState
from cbportal.state.session import sentence


class OrderRow(TypedDict):
    receipt: str
    created: str
    account: str
    product: str
    customer: str
    status: str
    subscription: str


STATUS_WORDS = {"paid": "paid", "partially_refunded": "partly refunded", "refunded": "refunded",
                "failed": "payment failed"}


def _day(text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ServiceError("a date is written YYYY-MM-DD", "invalid_date") from None


class VendorOrdersState(PageState):
    rows: list[OrderRow] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    filters: dict[str, str] = {}
    loaded: bool = False


    def _search(self, actor) -> None:
        f = self.filters
        with reader(get_engine()) as session:
            found = transactions.search(session, actor=actor, page=self.page, receipt=f.get("receipt", ""),
                                        email=f.get("email", ""), sku=f.get("sku", ""),
                                        date_from=_day(f.get("date_from", "")), date_to=_day(f.get("date_to", "")))
        self.total, self.pages = found["total"], found["pages"]
        self.rows = [OrderRow(receipt=r["receipt"], created=r["created_local"], account=r["account"],
                              product=f"{r['title']} ({r['sku']})", customer=r["customer_email"],
                              status=STATUS_WORDS.get(r["status"], r["status"]), subscription=r["subscription"])
                     for r in found["rows"]]

    @rx.event
    def load(self):
        actor, leave = self._enter(routes.VENDOR_ORDERS)
        if actor is None:
            return leave
        receipt = self.router.url.query_parameters.get("receipt", "")
        self.page, self.filters = 1, {"receipt": receipt} if receipt else {}
        self._run(self._search)
        self.loaded = True

    @rx.event
    def search(self, form: dict):
        self.filters = {k: str(form.get("q_" + k, "")).strip()[:254]
                        for k in ("receipt", "email", "sku", "date_from", "date_to")}
        self.page = 1
        self._run(self._search)

    @rx.event
    def next_page(self):
        if self.page < self.pages:
            self.page += 1
            self._run(self._search)

    @rx.event
    def previous_page(self):
        if self.page > 1:
            self.page -= 1
            self._run(self._search)

    @rx.event
    def export_csv(self):
        actor = self._require()
        if actor is None:
            return
        f = self.filters
        try:
            with reader(get_engine()) as session:
                text = transactions.export_csv(session, actor=actor, receipt=f.get("receipt", ""),
                                               email=f.get("email", ""), sku=f.get("sku", ""),
                                               date_from=_day(f.get("date_from", "")),
                                               date_to=_day(f.get("date_to", "")))
        except ServiceError as error:
            self.error = sentence(error)
            return
        return rx.download(data=text, filename="transactions.csv")
