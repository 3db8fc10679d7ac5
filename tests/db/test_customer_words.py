"""Words for people (issue 15 point 5): every error a customer page can show is a sentence
without code names (`tech_support`, `order_not_found`) or rule numbers (R3).

Two nets: (1) every customer page handler is driven down its error paths, as the page would
call it, and every message it leaves in the state is scanned; (2) every error raised by the
services a customer page calls is passed through the customer wording and scanned too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from cbportal.models import Opener, Order
from cbportal.services.core.errors import ServiceError
from cbportal.services.delivery import links
from cbportal.services.tickets import lifecycle as tickets
from cbportal.settings import get_settings
from cbportal.state.card import CardState
from cbportal.state.checkout import CheckoutState
from cbportal.state.confirmation import ConfirmationState
from cbportal.state.customer_ticket import CustomerTicketState
from cbportal.state.customer_words import customer_sentence
from cbportal.state.portal import PortalState

CODE_WORDS = re.compile(r"\b[a-z]+_[a-z_]+\b|\bR\d+\b")
MESSAGE_VARS = ("error", "notice", "open_error", "email_error", "name_error", "country_error", "address_error",
                "card_error", "receipt_error")
SERVICES = Path(__file__).resolve().parents[2] / "cbportal" / "services"
CUSTOMER_SERVICES = ("tickets/lifecycle.py", "billing/orders.py", "billing/checkout.py", "accounts/ratelimit.py",
                     "delivery/links.py", "core/input_policy.py", "accounts/accounts.py", "billing/refunds.py")


def messages(state) -> list[str]:
    return [getattr(state, name) for name in MESSAGE_VARS if getattr(state, name, "")]


def run(cls, handler: str, *args, **preset) -> list[str]:
    state = cls(_reflex_internal_init=True)
    for name, value in preset.items():
        setattr(state, name, value)
    result = getattr(cls, handler).fn(state, *args)
    if hasattr(result, "__next__"):
        list(result)
    return messages(state)


def test_every_customer_error_path_speaks_plainly(world):
    receipt, email = world["receipt"], "buyer@example.test"
    secret = get_settings().secret
    with Session(world["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        from cbportal.services.core.clock import get_clock
        ticket = tickets.open_ticket(s, now=get_clock().now(), order=order, type="refund", who=tickets.CUSTOMER,
                                     opener=Opener.CUSTOMER, comment="first")
        s.commit()
        ticket_id = ticket.id
    signed = {"ticket_id": ticket_id, "email": email, "sig": links.ticket_signature(secret, ticket_id, email),
              "found": True}
    found_order = {"found": True, "receipt": receipt, "email": email}
    shown: list[tuple[str, str]] = []

    def note(label, texts):
        assert texts, f"{label} showed no message"
        shown.extend((label, t) for t in texts)

    note("lookup, empty", run(PortalState, "lookup", {}))
    note("lookup, wrong email", run(PortalState, "lookup", {"receipt": receipt, "email": "x@example.test"}))
    note("open ticket before lookup", run(PortalState, "open_ticket", {"comment": "x"}))
    note("open a second ticket", run(PortalState, "open_ticket", {"comment": "x"}, **found_order))
    note("ticket, forged link", run(CustomerTicketState, "reply", {"body": "x"}, **{**signed, "sig": "forged"}))
    note("ticket, empty reply", run(CustomerTicketState, "reply", {"body": "  "}, **signed))
    note("ticket, same type", run(CustomerTicketState, "change_type", "refund", **signed))
    note("ticket, unknown type", run(CustomerTicketState, "change_type", "tech_stuff", **signed))
    note("ticket, escalate unchanged", run(CustomerTicketState, "escalate", {"comment": "x"}, **signed))
    note("ticket, escalate empty", run(CustomerTicketState, "escalate", {"comment": ""}, **signed))
    run(CustomerTicketState, "close", **signed)
    note("ticket, reply when closed", run(CustomerTicketState, "reply", {"body": "x"}, **signed))
    note("ticket, close when closed", run(CustomerTicketState, "close", **signed))
    note("checkout, unknown product", run(CheckoutState, "load"))
    note("checkout, empty form", run(CheckoutState, "pay", {}, found=True, sku="x"))
    note("checkout, bad email", run(CheckoutState, "pay", {"email": "a@", "name": "A", "country": "ZZ"}, found=True))
    note("checkout, card refused in the browser", run(CheckoutState, "pay_with", {"error": "Your card was declined."},
                                                      _form={"email": "a@example.test"}))
    note("checkout, form lost", run(CheckoutState, "pay_with", {"id": "pm_x"}))
    note("card page, forged link", run(CardState, "load"))
    note("card page, save forged", run(CardState, "save", {}, receipt=receipt, email=email, sig="forged"))
    note("confirmation, forged link", run(ConfirmationState, "load"))
    bad = [(label, text) for label, text in shown if CODE_WORDS.search(text)]
    assert bad == []
    assert all(text[:1].isupper() and text.rstrip().endswith((".", "!", "?")) for _, text in shown), shown


def service_errors() -> list[tuple[str, str, str]]:
    """(file, message with placeholders filled, code) of every `raise X("...", "code")` in the
    services a customer page calls."""
    found = []
    for name in CUSTOMER_SERVICES:
        tree = ast.parse((SERVICES / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and len(node.exc.args) >= 2:
                message, code = node.exc.args[:2]
                if not (isinstance(code, ast.Constant) and isinstance(code.value, str)):
                    continue
                if isinstance(message, ast.Constant):
                    text = str(message.value)
                elif isinstance(message, ast.JoinedStr):
                    text = "".join(str(v.value) if isinstance(v, ast.Constant) else "refund" for v in message.values)
                else:
                    continue
                found.append((name, text, code.value))
    return found


@pytest.mark.parametrize("where,text,code", service_errors())
def test_every_service_error_reads_as_a_sentence_to_customers(where, text, code):
    words = customer_sentence(ServiceError(text, code))
    assert not CODE_WORDS.search(words), f"{where}: {words!r}"
    assert words[:1].isupper() and words.endswith((".", "!", "?"))
