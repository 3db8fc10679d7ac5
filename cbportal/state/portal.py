"""Customer portal: look an order up by receipt + email (no account needed)."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.services import orders
from cbportal.services.errors import ServiceError
from cbportal.services.money import format_cents


class BillRow(TypedDict):
    seq: int
    kind: str
    date: str
    amount: str
    status: str


class PortalState(rx.State):
    error: str = ""
    found: bool = False
    receipt: str = ""
    title: str = ""
    subscription: str = ""
    contact: str = ""
    bills: list[BillRow] = []

    @rx.event
    def lookup(self, form: dict):
        self.error, self.found = "", False
        receipt, email = str(form.get("receipt", "")).strip(), str(form.get("email", "")).strip()
        if not receipt or not email:
            self.error = "Enter the receipt number from your email and the email address you used."
            return
        try:
            with reader(get_engine()) as session:
                view = orders.order_view(session, orders.customer_lookup(session, receipt=receipt, email=email))
        except ServiceError as error:
            self.error = "We found no order with that receipt and email. Check both and try again."
            return
        self.receipt, self.title = view["receipt"], view["title"]
        self.bills = [BillRow(seq=b["seq"], kind=b["kind"], date=b["scheduled_date"],
                              amount=format_cents(b["amount_cents"], view["currency"]), status=b["status"])
                      for b in view["bills"]]
        sub = view["subscription"]
        self.subscription = "" if sub is None else (
            f"{sub['status'].capitalize()} — {format_cents(sub['rebill_price_cents'], view['currency'])} "
            f"{sub['frequency']['label']}" + (f", next bill {sub['next_bill_date']}" if sub["next_bill_date"] else ""))
        contact = view["vendor_contact"]
        self.contact = " · ".join(v for v in (contact["email"], contact["phone"], contact["url"]) if v)
        self.found = True
