"""Links in emails (RULES R4): the customer's are signed (HMAC of what they open and
the customer's email), the vendor's ask for login and then land on the ticket."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode


def _sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def ticket_signature(secret: str, ticket_id: int, email: str) -> str:
    return _sign(secret, f"ticket:{ticket_id}:{email.lower()}")


def check_ticket_signature(secret: str, ticket_id: int, email: str, signature: str) -> bool:
    return hmac.compare_digest(ticket_signature(secret, ticket_id, email), signature or "")


def customer_ticket_url(base_url: str, secret: str, ticket_id: int, email: str) -> str:
    query = urlencode({"id": ticket_id, "email": email, "sig": ticket_signature(secret, ticket_id, email)})
    return f"{base_url}/portal/ticket?{query}"


def vendor_ticket_url(base_url: str, ticket_id: int) -> str:
    return f"{base_url}/vendor/ticket?id={ticket_id}"


def card_signature(secret: str, receipt: str, email: str) -> str:
    return _sign(secret, f"card:{receipt}:{email.lower()}")


def check_card_signature(secret: str, receipt: str, email: str, signature: str) -> bool:
    return hmac.compare_digest(card_signature(secret, receipt, email), signature or "")


def card_update_url(base_url: str, secret: str, receipt: str, email: str) -> str:
    query = urlencode({"receipt": receipt, "email": email, "sig": card_signature(secret, receipt, email)})
    return f"{base_url}/portal/card?{query}"


def order_signature(secret: str, receipt: str, email: str) -> str:
    return _sign(secret, f"order:{receipt}:{email.lower()}")


def check_order_signature(secret: str, receipt: str, email: str, signature: str) -> bool:
    return hmac.compare_digest(order_signature(secret, receipt, email), signature or "")


def customer_order_url(base_url: str, secret: str, receipt: str, email: str) -> str:
    query = urlencode({"receipt": receipt, "email": email, "sig": order_signature(secret, receipt, email)})
    return f"{base_url}/portal?{query}"
