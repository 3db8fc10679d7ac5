"""Errors as customers read them (issue 15 point 5): a plain sentence for every service
error a customer page can show, never a code name (`tech_support`) or a rule number (R3)."""

from __future__ import annotations

import re

from cbportal.services.core.errors import ServiceError
from cbportal.services.tickets.thread import TYPE_WORDS
from cbportal.state.session import sentence

WORDS = {
    "invalid_type": "Choose technical support, a refund or a cancelation.",
    "empty_comment": "Write a few words about what happened.",
    "same_type": "The ticket already is what you asked for; nothing was changed.",
    "ticket_conflict": "The ticket changed while you were looking at it. It now shows the latest state; "
                       "please try again.",
    "bad_link": "This link is not valid. Open the ticket from your email again.",
    "ticket_not_found": "We found no such ticket for this email. Open the ticket from your email again.",
    "order_not_found": "We found no order with that receipt and email. Check both and try again.",
    "payment_declined": "The payment was declined, so no order was placed and nothing was charged. "
                        "Try another card.",
    "not_escalatable": "Only a ticket the vendor closed or changed can be sent to platform staff for review.",
    "ticket_processing": "This ticket is being carried out right now, so it can no longer be changed.",
}
CODE_TOKEN = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
RULE = re.compile(r"\s*\(?\bR\d+\b\)?")


def plain(text: str) -> str:
    """Code names to words and rule numbers out, for any message that reaches a customer."""
    text = CODE_TOKEN.sub(lambda m: TYPE_WORDS.get(m.group(0), m.group(0).replace("_", " ")), text)
    return RULE.sub("", text)


def customer_sentence(error: ServiceError) -> str:
    return WORDS.get(error.code) or plain(sentence(error))
