"""What platform staff do for customers and vendors (R8): open a ticket for a customer on
the phone, flag or unflag a vendor for abuse, grant admin-controlled frequencies, the
account list these act on, and the stuck-refunds queue (R3: refunds not through after
3 days: retry now, or mark refunded by hand with a reason). Staff only; every change is
audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from cbportal.models import Opener, Party, Ticket, TicketStatus, VendorAccount
from cbportal.services import audit, orders, refunds, tickets
from cbportal.services.accounts import get_account
from cbportal.services.auth import Actor


def accounts(session: Session, *, actor: Actor) -> list[dict]:
    actor.require_staff()
    open_counts = dict(session.exec(select(Ticket.account_id, func.count()).where(Ticket.status == TicketStatus.OPEN)
                                    .group_by(Ticket.account_id)).all())
    return [{"nickname": a.nickname, "flagged": a.abuse_flagged, "admin_frequencies": a.admin_frequencies,
             "open_tickets": open_counts.get(a.id, 0), "time_zone": a.time_zone}
            for a in session.exec(select(VendorAccount).order_by(VendorAccount.nickname))]


def phone_ticket(session: Session, *, now: datetime, actor: Actor, receipt: str, email: str, type: str,
                 comment: str | None = None) -> Ticket:
    """A ticket for a customer who called: they prove the order with its receipt and their
    email, as in the portal; the timers are the customer's (R3)."""
    actor.require_staff()
    order = orders.customer_lookup(session, receipt=receipt, email=email)
    return tickets.open_ticket(session, now=now, order=order, type=type, who=tickets.Acting(Party.STAFF, actor),
                               opener=Opener.STAFF, comment=comment)


def set_abuse_flag(session: Session, *, now: datetime, actor: Actor, nickname: str, flagged: bool) -> None:
    actor.require_staff()
    tickets.flag(session, now=now, actor=actor, account_id=get_account(session, nickname).id, flagged=flagged)


def set_admin_frequencies(session: Session, *, now: datetime, actor: Actor, nickname: str, granted: bool) -> None:
    """Allow (or stop allowing) the account's new products to use admin-controlled frequencies (R5)."""
    actor.require_staff()
    account = get_account(session, nickname)
    account.admin_frequencies = granted
    session.add(account)
    audit.record(session, now=now, actor=actor, action="account.admin_frequencies", entity="vendor_account",
                 entity_id=account.id, account_id=account.id, granted=granted)


def stuck_refunds(session: Session, *, now: datetime, actor: Actor) -> list[dict]:
    actor.require_staff()
    return refunds.stuck(session, now=now)


def retry_refund(session: Session, *, now: datetime, actor: Actor, attempt_id: int) -> None:
    actor.require_staff()
    refunds.retry_now(session, now=now, by=actor, attempt_id=attempt_id)


def mark_refunded(session: Session, *, now: datetime, actor: Actor, attempt_id: int, reason: str) -> None:
    actor.require_staff()
    refunds.mark_refunded(session, now=now, by=actor, attempt_id=attempt_id, reason=reason)
