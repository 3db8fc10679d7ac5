"""The customer's view of a ticket's history: the comments and what each party did (opened,
changed the type, closed, processed, escalated...) as one timeline in plain words, with
times in the customer's time zone (issue 15 points 3 and 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from cbportal.models import Ticket, TicketComment, TicketEvent

TYPE_WORDS = {"tech_support": "technical support", "refund": "refund request", "cancel": "cancelation request"}
TYPE_PHRASE = {"tech_support": "a technical support ticket", "refund": "a refund request",
               "cancel": "a cancelation request"}
TYPE_TITLE = {"tech_support": "Technical support", "refund": "Refund request", "cancel": "Cancelation request"}
STATUS_WORDS = {"open": "Open", "closed": "Closed"}
CLOSE_WORDS = {"customer": "you closed it", "vendor": "the vendor closed it", "processed": "it was processed",
               "inactivity": "nobody answered for a while", "staff": "platform staff closed it"}
AUTHOR = {"customer": "You", "vendor": "The vendor", "staff": "Platform staff", "system": "cbportal"}


def zone_or_utc(name: str | None) -> str:
    """A valid IANA zone name, else UTC (the browser's answer is never trusted blindly)."""
    try:
        return str(ZoneInfo(name)) if name else "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def local_words(at: datetime | None, zone: str) -> str:
    """'23 Nov 2026, 14:05' in `zone`."""
    if at is None:
        return ""
    if at.tzinfo is None:                    # stored instants are UTC (R2)
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(ZoneInfo(zone_or_utc(zone)))
    return f"{local.day} {local:%b %Y, %H:%M}"


def _event_words(kind: str, actor: str, detail: dict) -> str:
    who = AUTHOR.get(actor, "Someone")
    if kind == "opened":
        return f"{who} opened this ticket as {TYPE_PHRASE.get(detail.get('type', ''), 'a ticket')}."
    if kind == "type_changed":
        text = (f"{who} changed this ticket from {TYPE_PHRASE.get(detail.get('old', ''), 'a ticket')} "
                f"to {TYPE_PHRASE.get(detail.get('new', ''), 'a ticket')}.")
        return text + (" The vendor says you agreed to this." if actor == "vendor" and detail.get("customer_consent")
                       else "")
    if kind == "closed":
        return f"{who} closed this ticket." + (" The vendor says you agreed to this."
                                               if actor == "vendor" and detail.get("customer_consent") else "")
    return {
        "escalated": "You asked platform staff to review this ticket.",
        "review_upheld": "Platform staff reviewed this ticket and kept the vendor's decision.",
        "review_refund": "Platform staff reopened this ticket as a refund request, to be refunded at once.",
        "processed": "The request was carried out.",
        "refund_pending": "The refund was sent to the payment processor; it has not confirmed it yet.",
        "refunded": "The refund has gone through.",
        "inactivity_warning": "A reminder was sent: this ticket closes soon if nobody answers.",
        "ticket_closed": "The ticket was closed because nobody answered for a while.",
    }.get(kind, "")


def timeline(session: Session, ticket: Ticket, *, zone: str) -> list[dict]:
    """Comments and actions, oldest first: {kind: 'comment'|'action', author, body, at}."""
    rows: list[tuple[datetime, int, dict]] = []
    for c in session.exec(select(TicketComment).where(TicketComment.ticket_id == ticket.id)):
        rows.append((c.at, 1, {"kind": "comment", "author": AUTHOR.get(str(c.author), "Someone"), "body": c.body,
                               "at": local_words(c.at, zone)}))
    for e in session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)):
        words = "" if e.kind == "reply" else _event_words(e.kind, str(e.actor), e.detail or {})
        if words:
            rows.append((e.at, 0, {"kind": "action", "author": AUTHOR.get(str(e.actor), "Someone"), "body": words,
                                   "at": local_words(e.at, zone)}))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]
