"""The inbound addresses (issue 17, docs/inbound-email.md), all at the one domain the
mail server forwards to cbportal (`CBPORTAL_MAIL_IN_DOMAIN`):

- `ticket+<id>.<party><signature>@domain`: the Reply-To of every ticket email. `party`
  is `c` (the customer's copy) or `v` (the vendor's); the signature is an HMAC of the
  ticket and the party with the app secret, so nobody can write into a ticket by
  guessing its number.
- `refund+<nickname>@domain`, `cancel+<nickname>@domain`: an account's legacy refund
  and cancel addresses (the ticket article's "still available but not recommended").

Local parts are compared in lower case: some mail servers fold them."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

PARTIES = {"c": "customer", "v": "vendor"}
_TICKET = re.compile(r"^ticket\+(\d{1,12})\.([cv])([0-9a-f]{16})$")
_LEGACY = re.compile(r"^(refund|cancel)\+([a-z0-9][a-z0-9_.-]{0,39})$")


def _signature(secret: str, ticket_id: int, party: str) -> str:
    return hmac.new(secret.encode(), f"mail-in:ticket:{ticket_id}:{party}".encode(), hashlib.sha256).hexdigest()[:16]


def ticket_address(secret: str, domain: str, ticket_id: int, party: str) -> str:
    """The signed reply address of `ticket_id` for `party` ('customer' or 'vendor')."""
    code = "c" if party == "customer" else "v"
    return f"ticket+{ticket_id}.{code}{_signature(secret, ticket_id, code)}@{domain}"


def legacy_address(domain: str, nickname: str, kind: str) -> str:
    """An account's legacy `refund` or `cancel` address."""
    return f"{kind}+{nickname.lower()}@{domain}"


@dataclass(frozen=True)
class Address:
    """What an inbound address means: `kind` is 'ticket', 'refund', 'cancel' or 'other'."""
    kind: str
    ticket_id: int | None = None
    party: str | None = None
    nickname: str | None = None


OTHER = Address("other")


def classify(secret: str, domain: str | None, address: str) -> Address:
    """The meaning of a recipient address; a bad signature or another domain is 'other'."""
    local, _, host = (address or "").strip().strip("<>").lower().rpartition("@")
    if not local or (domain and host != domain):
        return OTHER
    match = _TICKET.match(local)
    if match:
        ticket_id, code, given = int(match[1]), match[2], match[3]
        if hmac.compare_digest(_signature(secret, ticket_id, code), given):
            return Address("ticket", ticket_id=ticket_id, party=PARTIES[code])
        return OTHER
    match = _LEGACY.match(local)
    if match:
        return Address(match[1], nickname=match[2])
    return OTHER
