"""The rows and fields the ticket pages show, built from what the ticket services return:
the vendor's ticket list, the vendor's ticket page (thread, customer panel, assignees), the
customer's ticket page, and the fields both ticket pages share. Plain functions: no
session, no Reflex state."""

from __future__ import annotations

from typing import TypedDict

from cbportal import routes
from cbportal.services.tickets import thread as ticket_thread


class TicketRow(TypedDict):
    id: int
    receipt: str
    account: str
    type: str
    status: str
    opened_by: str
    process_at: str
    opened_at: str


class CommentRow(TypedDict):
    author: str
    body: str
    at: str


class CustomerThreadRow(TypedDict):
    kind: str        # "comment" or "action"
    author: str
    body: str
    at: str


class DeskThreadRow(TypedDict):
    kind: str          # comment, note (internal), status (history)
    who: str
    body: str
    at: str


class ContextRow(TypedDict):
    label: str
    text: str
    href: str


def ticket_fields(view: dict) -> dict:
    """The page-state fields both ticket pages show, from `tickets.ticket_view`."""
    return {"found": True, "type": view["type"], "status": view["status"], "receipt": view["receipt"],
            "process_at": view["process_at"] or "", "process_why": view["process_why"] or "",
            "refund_status": view["refund_status"] or "",
            "close_reason": view["close_reason"] or "",
            "comments": [CommentRow(author=c["author"], body=c["body"], at=c["at"][:16].replace("T", " "))
                         for c in view["comments"]]}


def customer_fields(view: dict, timeline: list[dict]) -> dict:
    """The customer's ticket page: the shared fields, the words for type, status and close
    reason, whether it may be escalated, and the thread (`ticket_thread.timeline`)."""
    fields = ticket_fields(view)
    return {**fields, "escalated": view["escalated"],
            "can_escalate": view["vendor_closed_or_changed"] and view["escalation"] != "pending",
            "type_title": ticket_thread.TYPE_TITLE.get(fields["type"], "Ticket"),
            "status_words": ticket_thread.STATUS_WORDS.get(fields["status"], ""),
            "close_words": ticket_thread.CLOSE_WORDS.get(fields["close_reason"], ""),
            "thread": [CustomerThreadRow(**row) for row in timeline]}


def desk_fields(thread: list[dict], context: dict, assignable: list[dict]) -> dict:
    """The vendor's ticket page: the thread with notes and status history, the customer
    panel with their other orders and tickets, and who the ticket may be assigned to
    (services/tickets/desk.py's thread, context and assignable)."""
    order_link = f"{routes.VENDOR_ORDERS}?receipt="
    return {
        "thread_rows": [DeskThreadRow(**r) for r in thread],
        "customer": {k: str(v) for k, v in context.items() if not isinstance(v, list)},
        "other_orders": [ContextRow(label=o["receipt"], text=f"{o['sku']} · {o['status']} · {o['at']}",
                                    href=order_link + o["receipt"]) for o in context["other_orders"]],
        "other_tickets": [ContextRow(label=f"#{t['id']}", text=f"{t['type']} · {t['status']} · {t['at']}",
                                     href=f"{routes.VENDOR_TICKET}?id={t['id']}") for t in context["other_tickets"]],
        "assignees": [{"id": str(u["id"]), "name": u["name"]} for u in assignable]}
