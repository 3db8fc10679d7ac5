"""The transaction window of the vendor's transactions page: one order, its bills and
tickets, and whether this user may manage its subscription (RULES R7)."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal.db import get_engine, reader
from cbportal.models import Role
from cbportal.services.billing import transactions
from cbportal.services.core.money import format_cents
from cbportal.state.vendor_orders import STATUS_WORDS, VendorOrdersState


class BillLine(TypedDict):
    seq: str
    kind: str
    date: str
    amount: str
    net: str
    commission: str
    earnings: str
    status: str


class TicketLine(TypedDict):
    id: str
    type: str
    status: str
    opened: str


class OrderWindowState(VendorOrdersState):
    receipt: str = ""
    summary: str = ""
    subscription: str = ""
    bills: list[BillLine] = []
    ticket_lines: list[TicketLine] = []
    can_manage: bool = False
    manage_open: bool = False       # the Manage Subscription modal over this window


    def _open(self, actor, receipt: str) -> None:
        with reader(get_engine()) as session:
            view = transactions.window(session, actor=actor, receipt=receipt)
        money = lambda cents: format_cents(cents, view["currency"])  # noqa: E731
        self.receipt = view["receipt"]
        self.summary = f"{view['title']} ({view['sku']}) · {view['customer_name']} <{view['customer_email']}> · " \
                       f"{view['account']} · bought {view['created_local']} · " \
                       f"{STATUS_WORDS.get(view['status'], view['status'])}"
        sub = view["subscription"]
        self.subscription = "" if sub is None else (
            f"{sub['status'].capitalize()} — {money(sub['rebill_price_cents'])} {sub['frequency']['label']}"
            + (f", next bill {sub['next_bill_date']}" if sub["next_bill_date"] else "")
            + (f", {sub['payments_remaining']} payments left" if sub["payments_remaining"] is not None else ""))
        self.bills = [BillLine(seq=str(b["seq"]), kind=b["kind"], date=b["scheduled_date"],
                               amount=money(b["amount_cents"]),
                               net=money(b["net_cents"]), commission=money(b["commission_cents"]),
                               earnings=money(b["vendor_cents"]),
                               status=b["status"] + (f" (refunded {money(b['refunded_cents'])})"
                                                     if b["refunded_cents"] else "")) for b in view["bills"]]
        self.ticket_lines = [TicketLine(id=str(t["id"]), type=t["type"], status=t["status"], opened=t["opened_local"])
                             for t in view["tickets"]]
        self.can_manage = sub is not None and (actor.is_staff or actor.has(Role.SUBSCRIPTION_MANAGEMENT))

    @rx.event
    def open_linked(self):
        """The page's second load step: a link naming `?receipt=` opens that order's window."""
        receipt = self.router.url.query_parameters.get("receipt", "")
        if receipt and self.rows and self.refused == "":
            self._run(lambda a: self._open(a, receipt))

    @rx.event
    def open_order(self, receipt: str):
        self.manage_open = False
        self._run(lambda actor: self._open(actor, receipt))
