"""Products and their recurring terms (RULES R5): create, approve, reject, read.

Terms are validated here: frequencies (6 months or longer in any unit need the account's
admin grant), trial, number of rebills or until canceled, commission rates,
physical products' ship-to countries, and at most 500 products per account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import FrequencyUnit, Product, ProductKind, ProductStatus, Role
from cbportal.services.accounts.accounts import visible_account
from cbportal.services.accounts.auth import Actor
from cbportal.services.core import audit, input_policy
from cbportal.services.core.calendar import frequency_label, is_admin_frequency
from cbportal.services.core.errors import Conflict, Forbidden, Invalid, NotFound
from cbportal.services.core.money import pct_to_bp

MAX_PRODUCTS_PER_ACCOUNT = 500
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MAX_PRICE_CENTS = 100_000_00


@dataclass
class RecurringTerms:
    rebill_price_cents: int
    unit: str
    count: int
    rebills: int | None = None
    trial_days: int | None = None


def _price(value, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_PRICE_CENTS:
        raise Invalid(f"{field} is a whole number of cents from 0 to {MAX_PRICE_CENTS}", "invalid_price")
    return value


def _pct(value, field: str) -> int:
    try:
        return pct_to_bp(value)
    except Exception:
        raise Invalid(f"{field} is a percentage from 0 to 100 with at most two decimals",
                      "invalid_commission") from None


def create_product(session: Session, *, now: datetime, actor: Actor, sku: str, account: str, title: str,
                   kind: str, currency: str, initial_price_cents: int, commission_initial_pct,
                   commission_rebill_pct=0, ship_to: list[str] | None = None,
                   recurring: RecurringTerms | None = None, description: str = "") -> Product:
    vendor = visible_account(session, actor, account)
    actor.require(Role.MANAGE_PRODUCTS)
    title = input_policy.line(title, "title", 200, 1)        # one line: it goes into email subjects
    description = input_policy.text(description or "", "description", 5000)
    if not SKU.match(sku or ""):
        raise Invalid("a SKU is 1-64 letters, digits, '-' or '_'", "invalid_sku")
    if session.exec(select(Product).where(Product.sku == sku)).first():
        raise Conflict(f"the SKU {sku!r} exists", "sku_taken")
    count = session.exec(select(func.count()).select_from(Product).where(Product.account_id == vendor.id)).one()
    if count >= MAX_PRODUCTS_PER_ACCOUNT:
        raise Conflict(f"an account has at most {MAX_PRODUCTS_PER_ACCOUNT} products", "product_limit")
    if not title or len(title) > 200:
        raise Invalid("a title is 1-200 characters", "invalid_title")
    try:
        kind_value = ProductKind(kind)
    except ValueError:
        raise Invalid("kind is digital or physical", "invalid_kind") from None
    if not re.match(r"^[A-Z]{3}$", currency or ""):
        raise Invalid("currency is a three-letter ISO code such as USD", "invalid_currency")
    countries = sorted({c.upper() for c in (ship_to or [])})
    if any(not re.match(r"^[A-Z]{2}$", c) for c in countries):
        raise Invalid("ship_to holds two-letter country codes", "invalid_country")
    if kind_value is ProductKind.PHYSICAL and not countries:
        raise Invalid("a physical product needs the countries it ships to", "ship_to_required")
    product = Product(
        sku=sku, account_id=vendor.id, title=title, description=description, kind=kind_value,
        currency=currency, initial_price_cents=_price(initial_price_cents, "initial_price_cents"),
        commission_initial_bp=_pct(commission_initial_pct, "commission_initial_pct"),
        commission_rebill_bp=_pct(commission_rebill_pct, "commission_rebill_pct"),
        ship_to=countries, status=ProductStatus.PENDING, created_at=now)
    if recurring is not None:
        _apply_terms(product, recurring, admin_frequencies=vendor.admin_frequencies)
    elif product.initial_price_cents == 0:
        raise Invalid("a one-time product needs a price", "invalid_price")
    session.add(product)
    session.flush()
    audit.record(session, now=now, actor=actor, action="product.create", entity="product",
                 entity_id=product.id, account_id=vendor.id, sku=sku)
    return product


def _apply_terms(product: Product, terms: RecurringTerms, *, admin_frequencies: bool) -> None:
    try:
        unit = FrequencyUnit(terms.unit)
    except ValueError:
        raise Invalid("frequency unit is day, week or month", "invalid_frequency") from None
    if not isinstance(terms.count, int) or not 1 <= terms.count <= 365:
        raise Invalid("frequency count is a whole number from 1 to 365", "invalid_frequency")
    if unit is FrequencyUnit.MONTH and terms.count > 12:
        raise Invalid("a monthly frequency is at most every 12 months", "invalid_frequency")
    if is_admin_frequency(unit.value, terms.count) and not admin_frequencies:
        raise Forbidden("frequencies of 6 months or longer (26 weeks, 182 days) need a permission granted by "
                        "platform staff",
                        "admin_frequency_required")
    if terms.rebills is not None and (not isinstance(terms.rebills, int) or not 1 <= terms.rebills <= 1000):
        raise Invalid("rebills is a whole number from 1 to 1000, or null for until canceled", "invalid_rebills")
    if terms.trial_days is not None and (not isinstance(terms.trial_days, int) or not 1 <= terms.trial_days <= 365):
        raise Invalid("trial_days is a whole number from 1 to 365", "invalid_trial")
    rebill = _price(terms.rebill_price_cents, "rebill_price_cents")
    if rebill == 0:
        raise Invalid("a rebill needs a price", "invalid_price")
    product.recurring = True
    product.rebill_price_cents = rebill
    product.frequency_unit = unit
    product.frequency_count = terms.count
    product.rebills = terms.rebills
    product.trial_days = terms.trial_days


def get_product(session: Session, sku: str) -> Product:
    product = session.exec(select(Product).where(Product.sku == sku)).first()
    if not product:
        raise NotFound(f"no product {sku!r}", "product_not_found")
    return product


def decide_product(session: Session, *, now: datetime, actor: Actor, sku: str, approve: bool) -> Product:
    """Staff approve or reject a pending product; after approval terms are frozen (R5)."""
    actor.require_staff()
    product = get_product(session, sku)
    if product.status is not ProductStatus.PENDING and product.status != ProductStatus.PENDING.value:
        raise Conflict(f"the product is already {product.status}", "product_not_pending")
    product.status = ProductStatus.APPROVED if approve else ProductStatus.REJECTED
    product.approved_at = now if approve else None
    session.add(product)
    audit.record(session, now=now, actor=actor, action="product.approve" if approve else "product.reject",
                 entity="product", entity_id=product.id, account_id=product.account_id, sku=sku)
    return product


def update_description(session: Session, *, now: datetime, actor: Actor, sku: str, description: str) -> Product:
    """The one thing that may change on an approved recurring product (R5)."""
    product = get_product(session, sku)
    from cbportal.models import VendorAccount
    vendor = session.get(VendorAccount, product.account_id)
    if not actor.can_see_account(vendor):
        raise NotFound(f"no product {sku!r}", "product_not_found")
    actor.require(Role.MANAGE_PRODUCTS)
    product.description = input_policy.text(description or "", "description", 5000)
    session.add(product)
    audit.record(session, now=now, actor=actor, action="product.description", entity="product",
                 entity_id=product.id, account_id=product.account_id)
    return product


def product_view(product: Product, account_nickname: str) -> dict:
    view = {
        "sku": product.sku, "account": account_nickname, "title": product.title,
        "description": product.description, "kind": str(product.kind), "currency": product.currency,
        "initial_price_cents": product.initial_price_cents,
        "commission_initial_pct": product.commission_initial_bp / 100,
        "commission_rebill_pct": product.commission_rebill_bp / 100,
        "ship_to": list(product.ship_to or []), "status": str(product.status), "recurring": None,
    }
    if product.recurring:
        view["recurring"] = {
            "rebill_price_cents": product.rebill_price_cents,
            "frequency": {"unit": str(product.frequency_unit), "count": product.frequency_count,
                          "label": frequency_label(str(product.frequency_unit), product.frequency_count)},
            "rebills": product.rebills, "trial_days": product.trial_days,
        }
    return view


def products_of(session: Session, *, actor: Actor) -> list[dict]:
    """The products of the actor's accounts, newest first."""
    from cbportal.services.accounts.accounts import accounts_of

    accounts = {a.id: a.nickname for a in accounts_of(session, actor)}
    rows = session.exec(select(Product).where(Product.account_id.in_(list(accounts) or [-1]))
                        .order_by(Product.created_at.desc(), Product.id.desc())).all()
    return [product_view(p, accounts[p.account_id]) for p in rows]
