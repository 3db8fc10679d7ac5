"""Customer ticket page: reached by the signed link from an email (or from the portal
after a receipt + email lookup). Every handler re-checks the signature.

The page is live like the vendor's (state/live_feed.follow): a vendor reply, a type
change, processing or the end of the countdown shows without a reload. Its "actor" is the
signed link itself: `_actor()` answers only while the signature still checks out. Times
are shown in the browser's time zone (asked once on load, checked, and stated)."""

from __future__ import annotations

import reflex as rx

from cbportal.db import get_engine, reader, session_scope
from cbportal.models import Order, Product, ProductKind
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.delivery import links
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets import thread as ticket_thread
from cbportal.settings import get_settings
from cbportal.state import live_feed
from cbportal.state.customer_words import customer_sentence
from cbportal.state.ticket_rows import CommentRow, CustomerThreadRow, customer_fields

BROWSER_ZONE = "Intl.DateTimeFormat().resolvedOptions().timeZone"


class CustomerTicketState(live_feed.LivePage, rx.State):
    error: str = ""
    ticket_id: int = 0
    email: str = ""
    sig: str = ""
    notice: str = ""
    found: bool = False
    type: str = ""
    type_title: str = ""
    status: str = ""
    status_words: str = ""
    receipt: str = ""
    process_at: str = ""
    process_why: str = ""
    refund_status: str = ""
    close_reason: str = ""
    close_words: str = ""
    physical: bool = False
    can_escalate: bool = False
    escalated: bool = False
    comments: list[CommentRow] = []
    thread: list[CustomerThreadRow] = []
    zone: str = "UTC"
    order_url: str = ""

    def _signed(self) -> bool:
        return links.check_ticket_signature(get_settings().secret, self.ticket_id, self.email, self.sig)

    def _actor(self):
        """For live_feed.follow: the signed link stands for the customer while it checks out."""
        return "customer" if self.ticket_id and self._signed() else None

    def _verified_ticket(self, session):
        if not self._signed():
            raise ServiceError("this link is not valid; open the ticket from your email again", "bad_link")
        return tickets.customer_ticket(session, ticket_id=self.ticket_id, email=self.email)

    def _show(self, session, ticket) -> None:
        fields = customer_fields(tickets.ticket_view(session, ticket),
                                 ticket_thread.timeline(session, ticket, zone=self.zone))
        for name, value in fields.items():
            setattr(self, name, value)
        order = session.get(Order, ticket.order_id)
        self.physical = session.get(Product, order.product_id).kind == ProductKind.PHYSICAL
        self._account_ids = [ticket.account_id]
        self.order_url = links.customer_order_url("", get_settings().secret, order.receipt, self.email)

    def _refresh(self, _actor=None) -> None:
        with reader(get_engine()) as session:
            self._show(session, self._verified_ticket(session))

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        self.error, self.notice, self.found = "", "", False
        try:
            self.ticket_id = int(params.get("id", "0"))
        except ValueError:
            self.ticket_id = 0
        self.email, self.sig = params.get("email", ""), params.get("sig", "")
        try:
            self._refresh()
        except ServiceError as error:
            self.error = customer_sentence(error)
            return
        return [rx.call_script(BROWSER_ZONE, callback=CustomerTicketState.set_zone), self._follow()]

    @rx.event
    def set_zone(self, zone: str):
        """The browser's time zone (checked against the zone database; UTC otherwise)."""
        self.zone = ticket_thread.zone_or_utc(str(zone or "")[:64])
        if self.found and self._actor():
            try:
                self._refresh()
            except ServiceError as error:
                self.error = customer_sentence(error)

    def _live_refresh(self, actor) -> None:
        self._refresh(actor)

    def _act(self, action, done: str):
        self.error, self.notice = "", ""
        try:
            with session_scope() as session:
                ticket = self._verified_ticket(session)
                action(session, ticket, get_clock().now())
                session.flush()
                self._show(session, ticket)
            self.notice = done
        except ServiceError as error:
            self.error = customer_sentence(error)

    @rx.event
    def reply(self, form: dict):
        body = str(form.get("body", ""))
        if not body.strip():
            self.error, self.notice = "Write your message before sending it.", ""
            return
        self._act(lambda s, t, now: tickets.reply(s, now=now, ticket=t, who=tickets.CUSTOMER, body=body),
                  "Your reply was sent.")

    @rx.event
    def close(self):
        self._act(lambda s, t, now: tickets.close(s, now=now, ticket=t, who=tickets.CUSTOMER), "The ticket is closed.")

    @rx.event
    def change_type(self, new_type: str):
        self._act(lambda s, t, now: tickets.change_type(s, now=now, ticket=t, who=tickets.CUSTOMER, type=new_type),
                  "The ticket was changed.")

    @rx.event
    def escalate(self, form: dict):
        comment = str(form.get("comment", ""))
        self._act(lambda s, t, now: tickets.escalate(s, now=now, ticket=t, comment=comment),
                  "Platform staff will review this ticket.")
