"""Who acts on a ticket (RULES R3, R8): the one rule, used by the API and the pages alike,
for which party a logged-in user acts as and which opener a ticket they open records.

- platform staff act as `staff` and open tickets for a customer on the phone (`staff`);
- a vendor's owner or clerk acts as `vendor`; the opener is `api` through an API key,
  else `vendor` for the owner and `clerk` for any other user;
- nobody logged in (receipt + email, signed link) is the customer.
"""

from __future__ import annotations

from dataclasses import dataclass

from cbportal.models import Opener, Party
from cbportal.services.accounts.auth import Actor


@dataclass(frozen=True)
class Acting:
    """Who acts on a ticket: the party, and the logged-in actor where there is one."""
    party: Party
    actor: Actor | None = None

    @property
    def user_id(self) -> int | None:
        return self.actor.user_id if self.actor else None

    @property
    def label(self) -> str:
        return self.party.value


CUSTOMER = Acting(Party.CUSTOMER)
SYSTEM = Acting(Party.SYSTEM)


def acting_for(user: Actor | None) -> Acting:
    """The party a user acts as on a ticket: staff, the vendor (owner or clerk), else the customer."""
    if user is None:
        return CUSTOMER
    return Acting(Party.STAFF if user.is_staff else Party.VENDOR, user)


def opener_for(user: Actor | None) -> Opener:
    """Who a ticket this user opens says opened it (R3 "Opened by")."""
    if user is None:
        return Opener.CUSTOMER
    if user.is_staff:
        return Opener.STAFF
    if user.via_api:
        return Opener.API
    return Opener.VENDOR if user.is_owner else Opener.CLERK


def opening_as(user: Actor | None) -> tuple[Acting, Opener]:
    """The party and the opener of a ticket this user opens."""
    return acting_for(user), opener_for(user)
