"""The checkout form as the buyer typed it (state/checkout.py): the payment types it offers,
the fields read from the posted form, what is missing, the customer and shipping address the
order is placed with, and which field a refused order marks. Plain functions: no page state."""

from __future__ import annotations

from cbportal.services.billing import checkout
from cbportal.services.billing.gateways import offered_types
from cbportal.services.core.errors import ServiceError
from cbportal.state.customer_words import customer_sentence

FIELDS = ("email", "name", "country", "line1", "city", "postal_code", "bump", "bump_understood")
ADDRESS = ("line1", "city", "postal_code")
UNMARKED = dict.fromkeys(("email", "name", "country", "address", "card"), "")   # fields with their own message
CARD_NOT_CONFIRMED = ("Nothing was charged. Check the card number, expiry date and security code, or use "
                      "another card.")


def payment_types(gateway, country: str, currency: str) -> list[str]:
    """The gateway's payment types for the buyer's country; SEPA debits only for prices in euros."""
    types = offered_types(gateway, country)
    return types if currency.upper() == "EUR" else [t for t in types if t != "elv"]


def read(form: dict, country: str) -> dict[str, str]:
    """The posted fields, trimmed; the country picked in the select when the form sent none."""
    typed = {k: str(form.get(k, "")).strip() for k in FIELDS}
    typed["country"] = typed["country"] or country
    return typed


def customer(typed: dict) -> checkout.CustomerInput:
    return checkout.CustomerInput(typed.get("email", ""), typed.get("name", ""), typed.get("country", ""))


def problems(typed: dict, physical: bool) -> dict[str, str]:
    """What to fix, by field ("email", "name", "country", "address"); empty when complete."""
    found = checkout.customer_problems(customer(typed))
    if physical and not all(typed[k] for k in ADDRESS):
        found["address"] = "Enter the street, city and postal code the order ships to."
    return found


def shipping_address(typed: dict, physical: bool) -> dict | None:
    if not physical:
        return None
    return {k: typed.get(k, "") for k in ADDRESS} | {"name": typed.get("name", ""), "country": typed.get("country", "")}


def refused_fields(error: ServiceError) -> dict[str, str]:
    """The field a refused order marks, with its message: the card, or the shipping address."""
    if error.code in ("card_refused", "payment_declined"):
        return {"card": "Try another card, or check the number, expiry date and security code."}
    if error.code in ("invalid_address", "does_not_ship_there", "shipping_address_required"):
        return {"address": customer_sentence(error)}
    return {}
