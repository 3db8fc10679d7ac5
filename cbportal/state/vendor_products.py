"""Vendor products: list and create (RULES R5); staff approve them."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader, session_scope
from cbportal.services.billing import products
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.core.money import format_cents
from cbportal.state.base import PageState
from cbportal.state.session import sentence


class ProductRow(TypedDict):
    sku: str
    account: str
    title: str
    kind: str
    status: str
    price: str
    terms: str
    buy_url: str
    description: str


def _cents(text: str, field: str) -> int:
    try:
        value = round(float(text.replace("$", "").strip() or "0") * 100)
    except ValueError:
        raise ServiceError(f"{field} is an amount such as 29.95", "invalid_price") from None
    return value


def _row(view: dict) -> ProductRow:
    r = view["recurring"]
    terms = "" if not r else (f"then {format_cents(r['rebill_price_cents'], view['currency'])} "
                              f"{r['frequency']['label']}"
                              + (f", {r['rebills']} rebills" if r["rebills"] else ", until canceled")
                              + (f", {r['trial_days']}-day trial" if r["trial_days"] else ""))
    return ProductRow(sku=view["sku"], account=view["account"], title=view["title"], kind=view["kind"],
                      status=view["status"], price=format_cents(view["initial_price_cents"], view["currency"]),
                      terms=terms, buy_url=f"{routes.BUY}?sku={view['sku']}", description=view["description"])


class VendorProductsState(PageState):
    rows: list[ProductRow] = []
    accounts: list[str] = []
    loaded: bool = False
    notice: str = ""
    recurring: bool = True
    unit: str = "month"
    desc_sku: str = ""            # the product whose description is being edited
    desc_text: str = ""
    desc_open: bool = False
    desc_error: str = ""

    def _refresh(self, actor) -> None:
        from cbportal.services.accounts.accounts import accounts_of

        with reader(get_engine()) as session:
            self.rows = [_row(v) for v in products.products_of(session, actor=actor)]
            self.accounts = [a.nickname for a in accounts_of(session, actor)]

    @rx.event
    def load(self):
        actor, leave = self._enter(routes.VENDOR_PRODUCTS)
        if actor is None:
            return leave
        self._refresh(actor)
        self.loaded = True

    @rx.event
    def set_recurring(self, value: bool):
        self.recurring = bool(value)

    @rx.event
    def set_unit(self, value: str):
        if value in ("day", "week", "month"):
            self.unit = value

    @rx.event
    def create(self, form: dict):
        self.error, self.notice = "", ""
        actor, leave = self._or_sign_in()
        if actor is None:
            return leave
        get = lambda k: str(form.get(k, "")).strip()  # noqa: E731
        try:
            terms = None
            if self.recurring:
                terms = products.RecurringTerms(
                    rebill_price_cents=_cents(get("rebill_price"), "rebill price"), unit=self.unit,
                    count=int(get("count") or "1"), rebills=int(get("rebills")) if get("rebills") else None,
                    trial_days=int(get("trial_days")) if get("trial_days") else None)
            with session_scope() as session:
                products.create_product(
                    session, now=get_clock().now(), actor=actor, sku=get("sku"),
                    account=get("account") or (self.accounts[0] if self.accounts else ""), title=get("title"),
                    kind=get("kind") or "digital", currency="USD", initial_price_cents=_cents(get("price"), "price"),
                    commission_initial_pct=get("commission") or "0", commission_rebill_pct=get("commission") or "0",
                    ship_to=[c.strip() for c in get("ship_to").split(",") if c.strip()], recurring=terms)
        except ValueError:
            self.error = "Counts and days are whole numbers."
            return
        except ServiceError as error:
            self.error = sentence(error)
            return
        self.notice = f"{get('sku')} is created and waits for approval by platform staff."
        self._refresh(actor)

    # --- the description: the one thing that may change after approval (R5) ---------------

    @rx.event
    def edit_description(self, sku: str):
        row = next((r for r in self.rows if r["sku"] == sku), None)
        if row is None:
            return
        self.desc_sku, self.desc_text, self.desc_error, self.desc_open = sku, row["description"], "", True

    @rx.event
    def set_desc_open(self, value: bool):
        self.desc_open = bool(value)

    @rx.event
    def save_description(self, form: dict):
        actor, leave = self._or_sign_in()
        if actor is None:
            return leave
        text = str(form.get("description", ""))
        try:
            with session_scope() as session:
                products.update_description(session, now=get_clock().now(), actor=actor, sku=self.desc_sku,
                                            description=text)
        except ServiceError as error:
            self.desc_text, self.desc_error = text[:5000], sentence(error)     # keep what was typed
            return
        self.desc_open, self.desc_error, self.error = False, "", ""
        self.notice = f"The description of {self.desc_sku} is saved; the order form shows it from now on."
        self._refresh(actor)
