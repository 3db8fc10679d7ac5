"""The customer portal's lookup limit (issue "hostile input" point 3): counted per address
and per receipt, and never in the way of a valid signed link from the receipt email.
Driven through `PortalState.lookup`, as the portal page's websocket event runs it."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from cbportal import db
from cbportal.services.accounts import ratelimit
from cbportal.services.core import clock as clock_module
from cbportal.services.delivery import links
from cbportal.settings import get_settings
from cbportal.state.portal import PortalState
from tests import factories


@pytest.fixture
def receipt(engine, clock):
    db.use_engine(engine)
    clock_module.use_clock(clock)
    with Session(engine) as s:
        acct, owner = factories.account(s, clock.now())
        prod = factories.product(s, clock.now(), owner, acct)
        order = factories.order(s, engine, clock, prod, acct, paid_at=clock.now() - timedelta(days=1))
        s.commit()
        number = order.receipt
    yield number
    db.use_engine(None)
    clock_module.use_clock(None)


def lookup(form):
    state = PortalState(_reflex_internal_init=True)
    PortalState.lookup.fn(state, form)
    return state


def test_a_guessed_receipt_is_locked_but_the_signed_link_still_opens_it(receipt):
    for n in range(ratelimit.SUBJECT_MAX):
        assert lookup({"receipt": receipt, "email": f"guess{n}@x.test"}).error.startswith("We found no order")
    refused = lookup({"receipt": receipt, "email": "buyer@example.test"})
    assert not refused.found and refused.error == "Too many failed lookups; try again in 15 minutes."
    sig = links.signature(get_settings().secret, "order", receipt, "buyer@example.test")
    opened = lookup({"receipt": receipt, "email": "buyer@example.test", "sig": sig})
    assert opened.found and opened.receipt == receipt and opened.error == ""
    forged = lookup({"receipt": receipt, "email": "buyer@example.test", "sig": "0" * len(sig)})
    assert not forged.found and forged.error.startswith("Too many failed lookups")
