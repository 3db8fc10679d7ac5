"""Tickets on the test database (RULES R3): `ticket_world` builds acme with its owner, a
digital product and one order paid 10 days before Wednesday `WED` 15:00 New York; the
helpers act as the vendor and open a customer refund. A test module exposes the world as
its own `world` fixture (tests/db/test_tickets.py, test_ticket_desk.py)."""

from datetime import timedelta

import pendulum

from cbportal.models import Opener, Party
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets.lifecycle import CUSTOMER, Acting
from tests import factories

NY = "America/New_York"
WED = pendulum.datetime(2026, 1, 7, 15, tz=NY).in_timezone("UTC")        # Wed 15:00 New York


def ticket_world(session, engine, clock) -> dict:
    clock.set(WED)
    acct, owner = factories.account(session, WED)
    prod = factories.product(session, WED, owner, acct)
    order = factories.order(session, engine, clock, prod, acct, paid_at=WED - timedelta(days=10))
    session.commit()
    return {"acct": acct, "owner": owner, "product": prod, "order": order}


def vendor(world) -> Acting:
    return Acting(Party.VENDOR, world["owner"])


def open_refund(session, world, who=CUSTOMER, opener=Opener.CUSTOMER, at=WED):
    t = tickets.open_ticket(session, now=at, order=world["order"], type="refund", who=who, opener=opener,
                            comment="Please refund.")
    session.commit()
    return t
