"""The Subscriptions list on the Reports page (issue 16, the seed's Subscriptions report):
filters, pages and the CSV download. Thin: services/billing/subscriber_list.py checks report access
and the account on every event."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader
from cbportal.services.billing import subscriber_list
from cbportal.services.core.errors import ServiceError
from cbportal.services.core.money import format_cents
from cbportal.state.base import PageState
from cbportal.state.session import sentence


class SubRow(TypedDict):
    receipt: str
    account: str
    product: str
    customer: str
    status: str
    next_date: str
    next_amount: str
    left: str


def _date(text: str, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ServiceError(f"{field} is a date such as 2026-12-31", "invalid_date") from None


def _row(r: dict) -> SubRow:
    amount = "" if r["next_amount_cents"] is None else format_cents(r["next_amount_cents"], r["currency"])
    return SubRow(receipt=r["receipt"], account=r["account"], product=f"{r['sku']} · {r['title']}",
                  customer=r["customer_email"], status=r["status_text"], next_date=r["next_bill_date"],
                  next_amount=amount, left="until canceled" if r["payments_left"] is None else str(r["payments_left"]))


class SubscriptionListState(PageState):
    sub_rows: list[SubRow] = []
    sub_total: int = 0
    sub_page: int = 1
    sub_pages: int = 1
    sub_error: str = ""
    sub_filters: dict[str, str] = {}       # status, sku, bill_from, bill_to, account: as typed (kept on errors)

    def _filters(self) -> dict:
        f = self.sub_filters
        return {"account": f.get("account", ""), "status": f.get("status", ""), "sku": f.get("sku", ""),
                "bill_from": _date(f.get("bill_from", ""), "the first bill date"),
                "bill_to": _date(f.get("bill_to", ""), "the last bill date")}

    def _search(self):
        actor, leave = self._or_sign_in(next=routes.VENDOR_REPORTS)
        if actor is None:
            return leave
        try:
            with reader(get_engine()) as session:
                found = subscriber_list.search(session, actor=actor, page=self.sub_page, **self._filters())
        except ServiceError as error:
            self.sub_error = sentence(error)
            return
        self.sub_error = ""
        self.sub_rows = [_row(r) for r in found["rows"]]
        self.sub_total, self.sub_pages = found["total"], found["pages"]

    @rx.event
    def load_list(self):
        self.sub_page, self.sub_filters, self.sub_rows = 1, {}, []
        return self._search()

    @rx.event
    def filter_list(self, form: dict):
        keep = ("status", "sku", "bill_from", "bill_to")
        self.sub_filters = {**{k: str(form.get(k, "")).strip()[:64] for k in keep},
                            "account": self.sub_filters.get("account", "")}
        if self.sub_filters["status"] == "any":
            self.sub_filters["status"] = ""
        self.sub_page = 1
        return self._search()

    @rx.event
    def pick_list_account(self, value: str):
        self.sub_filters = {**self.sub_filters, "account": "" if value == "all" else str(value)[:40]}
        self.sub_page = 1
        return self._search()

    @rx.event
    def clear_list(self):
        return self.load_list()

    @rx.event
    def list_page(self, delta: int):
        self.sub_page = max(1, min(self.sub_pages, self.sub_page + int(delta)))
        return self._search()

    @rx.event
    def download_list(self):
        actor, leave = self._or_sign_in()
        if actor is None:
            return leave
        try:
            with reader(get_engine()) as session:
                data = subscriber_list.export_csv(session, actor=actor, **self._filters())
        except ServiceError as error:
            self.sub_error = sentence(error)
            return
        return rx.download(data=data, filename="subscriptions.csv")
