"""One "acting for" rule for tickets (RULES R3 "Opened by", R8): the API and the pages
record the same party, and the opener `opening_as` names, for each role: the vendor's
owner, a clerk, platform staff on the phone for a customer, and the customer."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from cbportal.api.app import build_api
from cbportal.models import Order, Ticket, TicketEvent, User
from cbportal.services.accounts import auth
from cbportal.services.core import clock as clock_module
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets.acting import opening_as
from cbportal.state.portal import PortalState
from cbportal.state.staff import StaffPhoneState
from cbportal.state.vendor_tickets import VendorTicketsState
from tests import factories
from tests.utils.api import bearer
from tests.utils.handlers import call

EMAIL = "buyer@example.test"


@pytest.fixture
def people(world):
    """world plus a staff user signed in, and API keys for the owner's clerk and staff."""
    now = clock_module.get_clock().now()
    with Session(world["engine"]) as s:
        staff = factories.staff(s, now)
        user = s.get(User, staff.user_id)
        user.password_hash = auth.hash_password("password-123")
        s.add(user)
        s.flush()
        tokens = {**world["tokens"], "staff": auth.login(s, now=now, email=user.email, password="password-123")}
        keys = {"owner": world["owner_key"], "staff": auth.create_api_key(s, now=now, user_id=staff.user_id),
                "clerk": auth.create_api_key(s, now=now, user_id=world["clerk_id"])}
        s.commit()
    return {**world, "tokens": tokens, "keys": keys}


def opened(engine) -> tuple[str, str]:
    """The open ticket's (party of its "opened" event, opener), then the ticket closed for the next opening."""
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.status == "open")).one()
        event = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                 TicketEvent.kind == "opened")).one()
        seen = (str(event.actor), str(ticket.opened_by))
        tickets.close(s, now=clock_module.get_clock().now(), ticket=ticket, who=tickets.CUSTOMER)
        s.commit()
    return seen


def expected(engine, *, token=None, key=None) -> tuple[str, str]:
    with Session(engine) as s:
        actor = (auth.actor_for_api_key(s, raw=key) if key else
                 auth.actor_for_session(s, now=clock_module.get_clock().now(), token=token) if token else None)
    who, opener = opening_as(actor)
    return str(who.party), str(opener)


def open_on_page(people, role):
    if role == "customer":
        call(PortalState, "open_ticket", [{"comment": "It broke."}],
             {"receipt": people["receipt"], "email": EMAIL, "found": True, "open_type": "tech_support"}, "")
    elif role == "staff":
        call(StaffPhoneState, "open_ticket", [{"receipt": people["receipt"], "email": EMAIL}],
             {"ticket_type": "tech_support"}, people["tokens"]["staff"])
    else:
        call(VendorTicketsState, "open_ticket", [{"receipt": people["receipt"], "reason": "other"}],
             {"new_type": "cancel"}, people["tokens"][role])


def open_by_api(client, people, role):
    if role == "customer":
        answer = client.post("/api/v1/customer/tickets", json={"receipt": people["receipt"], "email": EMAIL,
                                                               "type": "tech_support"})
    else:
        answer = client.post("/api/v1/tickets", headers=bearer(people["keys"][role]),
                             json={"receipt": people["receipt"], "type": "tech_support"})
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(("role", "page", "api"), [
    ("owner", ("vendor", "vendor"), ("vendor", "api")),
    ("clerk", ("vendor", "clerk"), ("vendor", "api")),
    ("staff", ("staff", "staff"), ("staff", "staff")),
    ("customer", ("customer", "customer"), ("customer", "customer")),
])
def test_r3_api_and_page_act_as_the_same_party(people, role, page, api):
    engine = people["engine"]
    with Session(engine) as s:
        assert s.exec(select(Order).where(Order.receipt == people["receipt"])).one()
    open_on_page(people, role)
    assert opened(engine) == page == expected(engine, token=people["tokens"].get(role))
    with TestClient(build_api(test_mode=True), raise_server_exceptions=False) as client:
        open_by_api(client, people, role)
    assert opened(engine) == api == expected(engine, key=people["keys"].get(role))
    assert page[0] == api[0]                    # the same party on the page and through the API
