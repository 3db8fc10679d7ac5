"""Links in emails (RULES R4): the customer's are signed (HMAC of what they open and
the customer's email), the vendor's ask for login and then land on the ticket."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode


def _sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def signature(secret: str, purpose: str, subject, email: str) -> str:
    """The signature of a customer link: what it opens (`purpose`, `subject`) for whom."""
    return _sign(secret, f"{purpose}:{subject}:{email.lower()}")


def check(secret: str, purpose: str, subject, email: str, given: str) -> bool:
    return hmac.compare_digest(signature(secret, purpose, subject, email), given or "")


def _signed(base_url: str, path: str, secret: str, purpose: str, key: str, subject, email: str) -> str:
    query = urlencode({key: subject, "email": email, "sig": signature(secret, purpose, subject, email)})
    return f"{base_url}{path}?{query}"


def ticket_signature(secret: str, ticket_id: int, email: str) -> str:
    return signature(secret, "ticket", ticket_id, email)


def check_ticket_signature(secret: str, ticket_id: int, email: str, given: str) -> bool:
    return check(secret, "ticket", ticket_id, email, given)


def check_card_signature(secret: str, receipt: str, email: str, given: str) -> bool:
    return check(secret, "card", receipt, email, given)


def check_order_signature(secret: str, receipt: str, email: str, given: str) -> bool:
    return check(secret, "order", receipt, email, given)


def customer_ticket_url(base_url: str, secret: str, ticket_id: int, email: str) -> str:
    return _signed(base_url, "/portal/ticket", secret, "ticket", "id", ticket_id, email)


def card_update_url(base_url: str, secret: str, receipt: str, email: str) -> str:
    return _signed(base_url, "/portal/card", secret, "card", "receipt", receipt, email)


def customer_order_url(base_url: str, secret: str, receipt: str, email: str) -> str:
    return _signed(base_url, "/portal", secret, "order", "receipt", receipt, email)


def vendor_ticket_url(base_url: str, ticket_id: int) -> str:
    return f"{base_url}/vendor/ticket?id={ticket_id}"


def confirmation_url(base_url: str, secret: str, receipt: str, email: str) -> str:
    """The page after checkout ("thank you, here is what you paid"); signed like the order link."""
    return _signed(base_url, "/buy/thanks", secret, "order", "receipt", receipt, email)


def receipt_urls(base_url: str, secret: str, receipt: str, email: str, seq: int) -> tuple[str, str]:
    """(print view, PDF) of one bill's receipt, signed like the order link."""
    query = urlencode({"email": email, "sig": signature(secret, "order", receipt, email)})
    path = f"{base_url}/api/v1/customer/orders/{receipt}/bills/{seq}/receipt"
    return f"{path}?{query}", f"{path}.pdf?{query}"


def my_orders_url(base_url: str, secret: str, email: str) -> str:
    """The list of all orders of one email address ("my orders"), signed for that address."""
    return _signed(base_url, "/portal/orders", secret, "orders", "list", "all", email)


def check_my_orders_signature(secret: str, email: str, given: str) -> bool:
    return check(secret, "orders", "all", email, given)
