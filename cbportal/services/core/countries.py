"""Countries by name for customers (ISO 3166-1, from the maintained `pycountry` list):
the checkout's country picker shows names and sends the two-letter code."""

from __future__ import annotations

from functools import lru_cache

import pycountry


def _name(country) -> str:
    return getattr(country, "common_name", None) or country.name


@lru_cache(maxsize=1)
def choices() -> tuple[tuple[str, str], ...]:
    """(code, name) of every country, sorted by name."""
    return tuple(sorted(((c.alpha_2, _name(c)) for c in pycountry.countries), key=lambda pair: pair[1]))


def is_country(code: str) -> bool:
    return (code or "").upper() in dict(choices())


def name(code: str) -> str:
    """The country's name, or the code itself when it is not a country."""
    return dict(choices()).get((code or "").upper(), code)
