"""What the customer portal shows of an order (state/portal.py), built from the services'
answers: the bill rows with their receipt links, the subscription in one line, and the
order's tickets as links. Plain functions and row shapes: no page state."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from cbportal.services.billing import orders, purchase
from cbportal.services.core.money import format_cents
from cbportal.services.delivery import links
from cbportal.services.tickets import thread as ticket_thread


class BillRow(TypedDict):
    seq: int
    kind: str
    date: str
    amount: str
    status: str
    receipt_url: str
    pdf_url: str


class TicketLink(TypedDict):
    id: int
    label: str
    url: str


def bill_rows(view: dict, email: str, secret: str) -> list[BillRow]:
    """Each bill: first payment or renewal, its day and amount, its status, its receipt (page, PDF)."""
    return [BillRow(seq=b["seq"], kind="First payment" if b["kind"] == "initial" else "Renewal",
                    date=purchase.day_words(date.fromisoformat(b["scheduled_date"])),
                    amount=format_cents(b["amount_cents"], view["currency"]),
                    status=orders.bill_status_words(b, view["currency"]),
                    **dict(zip(("receipt_url", "pdf_url"), links.receipt_urls("", secret, view["receipt"], email,
                                                                                b["seq"]), strict=False)))
            for b in view["bills"]]


def subscription_line(view: dict) -> str:
    """"Active — $9.95 monthly, next bill 2026-03-15"; "" for a one-time purchase."""
    sub = view["subscription"]
    return "" if sub is None else (
        f"{sub['status'].capitalize()} — {format_cents(sub['rebill_price_cents'], view['currency'])} "
        f"{sub['frequency']['label']}" + (f", next bill {sub['next_bill_date']}" if sub["next_bill_date"] else ""))


def ticket_links(rows, email: str, secret: str) -> list[TicketLink]:
    """Each ticket of the order as "#12 Refund request — open", linking to its signed page."""
    return [TicketLink(id=t.id, label=f"#{t.id} {ticket_thread.TYPE_TITLE.get(str(t.type), 'Ticket')} — "
                                      f"{ticket_thread.STATUS_WORDS.get(str(t.status), '').lower()}",
                       url=links.customer_ticket_url("", secret, t.id, email)) for t in rows]
