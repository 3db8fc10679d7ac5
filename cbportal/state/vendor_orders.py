"""Vendor transactions: order search with paging, the transaction window, CSV export and
the Manage Subscription modal (RULES R7). Thin: every handler resolves the signed-in user
and calls the services, which check role and account."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.models import Role
from cbportal.services.billing import subscriptions, transactions
from cbportal.services.billing.gateways import get_gateway
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.core.money import format_cents
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


class ProductChoice(TypedDict):
    sku: str
    label: str



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
    # the transaction window
    receipt: str = ""
    summary: str = ""
    subscription: str = ""
    bills: list[BillLine] = []
    ticket_lines: list[TicketLine] = []
    # the Manage Subscription modal
    manage_open: bool = False
    can_manage: bool = False
    offers: dict[str, bool] = {}
    choices: list[ProductChoice] = []
    chosen_sku: str = ""
    refund_declined: bool = False
    preview: str = ""
    modal_error: str = ""
    modal_notice: str = ""
    shipping: dict[str, str] = {}
    tab: str = "product"            # the open tab; moves when a change takes its offer away (issue 16)

    # --- search ---------------------------------------------------------------------------

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

    def _run(self, fn) -> None:
        actor = self._require()
        if actor is None:
            return
        try:
            fn(actor)
            self.error = ""
        except ServiceError as error:
            self.error = sentence(error)

    @rx.event
    def load(self):
        actor, leave = self._enter(routes.VENDOR_ORDERS)
        if actor is None:
            return leave
        receipt = self.router.url.query_parameters.get("receipt", "")
        self.page, self.filters = 1, {"receipt": receipt} if receipt else {}
        self._run(self._search)
        self.loaded = True
        if receipt and self.rows:
            self._run(lambda a: self._open(a, receipt))

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
        actor = self._actor()
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

    # --- the transaction window ------------------------------------------------------------------

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
    def open_order(self, receipt: str):
        self.manage_open = False
        self._run(lambda actor: self._open(actor, receipt))

    # --- Manage Subscription ------------------------------------------------------------------------

    def _load_options(self, actor) -> None:
        with reader(get_engine()) as session:
            offered = subscriptions.options(session, now=get_clock().now(), actor=actor, receipt=self.receipt)
        self.offers = {k: bool(offered[k]) for k in ("change_product", "change_bill_date", "extend", "reinstate",
                                                     "shipping", "refund_optional")}
        self.choices = [ProductChoice(sku=p["sku"], label=f"{p['title']} — {format_cents(p['rebill_price_cents'])} "
                                                           f"{p['frequency'].lower()}") for p in offered["products"]]
        self.shipping = {k: str(v or "") for k, v in offered["shipping_address"].items()}
        order = [("product", "change_product"), ("date", "change_bill_date"), ("extend", "extend"),
                 ("reinstate", "reinstate"), ("shipping", "shipping")]
        offered_tabs = [tab for tab, key in order if self.offers[key]]
        if self.tab not in offered_tabs:
            self.tab = offered_tabs[0] if offered_tabs else "product"

    def _modal(self, fn, done: str = "") -> None:
        actor = self._actor()
        if actor is None:
            self.modal_error = "Your session has ended; log in again."
            return
        try:
            fn(actor)
        except ServiceError as error:
            self.modal_error, self.modal_notice = sentence(error), ""
            if done:                            # re-read what is on offer now: it may be what changed
                try:
                    self._open(actor, self.receipt)
                    self._load_options(actor)
                except ServiceError:
                    pass
            return
        self.modal_error = ""
        if done:
            self.modal_notice = done
            self._open(actor, self.receipt)
            self._load_options(actor)

    @rx.event
    def open_manage(self):
        self.modal_error, self.modal_notice, self.preview, self.chosen_sku = "", "", "", ""
        self.refund_declined, self.tab = False, "product"
        self._modal(self._load_options)
        self.manage_open = self.modal_error == ""
        if not self.manage_open:
            self.error = self.modal_error

    @rx.event
    def set_tab(self, value: str):
        if value in ("product", "date", "extend", "reinstate", "shipping"):
            self.tab, self.modal_error = value, ""

    @rx.event
    def set_manage_open(self, value: bool):
        self.manage_open = bool(value)

    def _preview(self, actor) -> None:
        if not self.chosen_sku:
            self.preview = ""
            return
        with reader(get_engine()) as session:
            plan = subscriptions.preview_change_product(session, now=get_clock().now(), actor=actor,
                                                        receipt=self.receipt, sku=self.chosen_sku,
                                                        prorated=not self.refund_declined)
        refund = format_cents(plan["prorated_refund_cents"], plan["currency"])
        rebill = format_cents(plan["rebill_price_cents"], plan["currency"])
        self.preview = (f"Prorated refund: {refund}. From then on {rebill}"
                        f" {plan['frequency'].lower()}; next bill {plan['next_bill_date']}"
                        + (f"; {plan['payments_remaining']} payments left." if plan["payments_remaining"] is not None
                           else "."))

    @rx.event
    def choose_product(self, sku: str):
        self.chosen_sku, self.modal_notice = sku, ""
        self._modal(self._preview)

    @rx.event
    def set_refund_declined(self, value: bool):
        self.refund_declined = bool(value)
        self._modal(self._preview)

    @rx.event
    def save_product(self, form: dict):
        day = str(form.get("next_bill_date", "")).strip()

        def change(actor):
            cents = subscriptions.change_product(get_engine(), now=get_clock().now(), gateway=get_gateway(),
                                                 actor=actor, receipt=self.receipt, sku=self.chosen_sku,
                                                 prorated=not self.refund_declined, next_bill_date=_day(day))
            self.modal_notice = f"Product changed; {format_cents(cents)} refunded. The customer was emailed."

        if not self.chosen_sku:
            self.modal_error = "Choose the new product first."
            return
        self._modal(change)
        if not self.modal_error:
            actor = self._actor()
            self._open(actor, self.receipt)
            self._load_options(actor)
            self.preview, self.chosen_sku = "", ""
        else:                                   # e.g. a conflict: what is on offer may have changed
            actor = self._actor()
            if actor is not None:
                with contextlib.suppress(ServiceError):
                    self._load_options(actor)

    def _in_session(self, fn, done: str):
        def run(actor):
            with session_scope() as session:
                fn(session, actor)
        self._modal(run, done)

    @rx.event
    def save_bill_date(self, form: dict):
        try:
            day = _day(str(form.get("date", "")))
        except ServiceError as error:
            self.modal_error = sentence(error)
            return
        if day is None:
            self.modal_error = "Enter the new bill date (YYYY-MM-DD)."
            return
        self._in_session(lambda s, a: subscriptions.change_bill_date(s, now=get_clock().now(), actor=a,
                                                                     receipt=self.receipt, day=day),
                         "Bill date changed. The customer was emailed.")

    @rx.event
    def save_extend(self, form: dict):
        text = str(form.get("periods", "")).strip()
        if not text.isdigit():
            self.modal_error = "Extend by a whole number of billing periods, 1 or more."
            return
        self._in_session(lambda s, a: subscriptions.extend(s, now=get_clock().now(), actor=a, receipt=self.receipt,
                                                           periods=int(text)),
                         f"Extended by {text} billing period{'' if text == '1' else 's'}. The customer was emailed.")

    @rx.event
    def reinstate(self):
        self._in_session(lambda s, a: subscriptions.reinstate(s, now=get_clock().now(), actor=a, receipt=self.receipt),
                         "Subscription reinstated. The customer was emailed.")

    @rx.event
    def save_shipping(self, form: dict):
        address = {k: str(form.get(k, "")).strip() for k in ("name", "line1", "line2", "city", "region",
                                                             "postal_code", "country")}
        self._in_session(lambda s, a: subscriptions.change_shipping(s, now=get_clock().now(), actor=a,
                                                                    receipt=self.receipt, address=address),
                         "Shipping address saved. The customer was emailed.")

