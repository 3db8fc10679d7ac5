"""The Manage Subscription modal both ways (state/manage_subscription.py): what it shows, built
from the services' answers (the changes on offer, the products to change to with their price,
the tab left open, the shipping address, the change-product preview as a sentence), and what
it reads from its forms (a bill date, a shipping address). Plain functions: no page state."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from cbportal.services.core.errors import ServiceError
from cbportal.services.core.money import format_cents
from cbportal.state.session import sentence
from cbportal.state.vendor_orders import _day

OFFERS = ("change_product", "change_bill_date", "extend", "reinstate", "shipping", "refund_optional")
TABS = (("product", "change_product"), ("date", "change_bill_date"), ("extend", "extend"),
        ("reinstate", "reinstate"), ("shipping", "shipping"))   # (tab, the offer it needs), in the modal's order
TAB_NAMES = tuple(tab for tab, _ in TABS)
ADDRESS = ("name", "line1", "line2", "city", "region", "postal_code", "country")


class ProductChoice(TypedDict):
    sku: str
    label: str


def offers(offered: dict) -> dict[str, bool]:
    return {k: bool(offered[k]) for k in OFFERS}


def product_choices(offered: dict) -> list[ProductChoice]:
    """Each product the subscription may change to, as "Title — $9.95 monthly"."""
    return [ProductChoice(sku=p["sku"], label=f"{p['title']} — {format_cents(p['rebill_price_cents'])} "
                                              f"{p['frequency'].lower()}") for p in offered["products"]]


def shipping(offered: dict) -> dict[str, str]:
    return {k: str(v or "") for k, v in offered["shipping_address"].items()}


def open_tab(current: str, on_offer: dict[str, bool]) -> str:
    """The tab to show: the one open while still on offer, else the first offered (issue 16)."""
    offered_tabs = [tab for tab, key in TABS if on_offer[key]]
    if current in offered_tabs:
        return current
    return offered_tabs[0] if offered_tabs else "product"


def preview_words(plan: dict) -> str:
    """The change-product preview: the prorated refund, the new price, the next bill."""
    refund = format_cents(plan["prorated_refund_cents"], plan["currency"])
    rebill = format_cents(plan["rebill_price_cents"], plan["currency"])
    return (f"Prorated refund: {refund}. From then on {rebill}"
            f" {plan['frequency'].lower()}; next bill {plan['next_bill_date']}"
            + (f"; {plan['payments_remaining']} payments left." if plan["payments_remaining"] is not None else "."))


def typed_bill_date(form: dict) -> tuple[date | None, str]:
    """The new bill date typed, as (day, ""), or (None, what is wrong with it)."""
    try:
        day = _day(str(form.get("date", "")))
    except ServiceError as error:
        return None, sentence(error)
    return (day, "") if day is not None else (None, "Enter the new bill date (YYYY-MM-DD).")


def typed_address(form: dict) -> dict[str, str]:
    return {k: str(form.get(k, "")).strip() for k in ADDRESS}
