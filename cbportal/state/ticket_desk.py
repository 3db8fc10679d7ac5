"""The ticket page's help-desk tools (issue 16 point 2): internal notes, canned replies
(insert, create, edit), assignment. A substate of the ticket page; every handler re-checks
the user, the account and Manage Tickets in services/tickets/desk.py."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal.db import get_engine, reader, session_scope
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.tickets import desk as ticket_desk
from cbportal.services.tickets import lifecycle as tickets
from cbportal.state.session import sentence
from cbportal.state.vendor_ticket import VendorTicketState


class CannedRow(TypedDict):
    id: str
    title: str
    body: str


class TicketDeskState(VendorTicketState):
    canned: list[CannedRow] = []
    reply_draft: str = ""          # what "Insert" puts into the reply box
    draft_key: int = 0             # bumped to show reply_draft in the (uncontrolled) reply box
    canned_open: bool = False
    canned_id: str = ""            # "" a new one
    canned_title: str = ""
    canned_body: str = ""
    canned_error: str = ""
    note_key: int = 0

    def _desk(self, change, done: str) -> None:
        """Run one change in a transaction, then show the ticket again."""
        self.error, self.notice = "", ""
        actor = self._require()
        if actor is None:
            return
        try:
            with session_scope() as session:
                change(session, actor, get_clock().now())
                session.flush()
                ticket = tickets.vendor_ticket(session, actor=actor, ticket_id=self.ticket_id)
                self._show_ticket(tickets.ticket_view(session, ticket))
                self._show_desk(session, actor, ticket)
        except ServiceError as error:
            self.error = sentence(error)
            return
        self.notice = done

    def _read_canned(self, actor) -> None:
        with reader(get_engine()) as session:
            ticket = tickets.vendor_ticket(session, actor=actor, ticket_id=self.ticket_id)
            from cbportal.models import VendorAccount
            nickname = session.get(VendorAccount, ticket.account_id).nickname
            self.canned = [CannedRow(id=str(r["id"]), title=r["title"], body=r["body"])
                           for r in ticket_desk.canned_replies(session, actor=actor, account=nickname)]

    @rx.event
    def load_desk(self):
        if self.refused or not self.found:
            return
        actor = self._require()
        if actor is None:
            return
        try:
            self._read_canned(actor)
        except ServiceError:
            self.canned = []

    @rx.event
    def add_note(self, form: dict):
        body = str(form.get("note", ""))
        self._desk(lambda s, a, now: ticket_desk.add_note(s, now=now, actor=a, ticket_id=self.ticket_id, body=body),
                   "Note saved: only your team sees it.")
        if not self.error:
            self.note_key += 1

    @rx.event
    def assign(self, value: str):
        user_id = None if value in ("", "nobody") else (int(value) if str(value).isdigit() else -1)
        self._desk(lambda s, a, now: ticket_desk.assign(s, now=now, actor=a, ticket_id=self.ticket_id,
                                                        user_id=user_id), "Assignment saved.")

    @rx.event
    def insert_canned(self, reply_id: str):
        row = next((r for r in self.canned if r["id"] == reply_id), None)
        if row is not None:
            self.reply_draft, self.draft_key = row["body"], self.draft_key + 1

    @rx.event
    def edit_canned(self, reply_id: str):
        row = next((r for r in self.canned if r["id"] == reply_id), None)
        self.canned_id = row["id"] if row else ""
        self.canned_title, self.canned_body = (row["title"], row["body"]) if row else ("", "")
        self.canned_error, self.canned_open = "", True

    @rx.event
    def set_canned_open(self, value: bool):
        self.canned_open = bool(value)

    @rx.event
    def save_canned(self, form: dict):
        actor, leave = self._or_sign_in()
        if actor is None:
            return leave
        title, body = str(form.get("title", ""))[:200], str(form.get("body", ""))[:10_000]
        try:
            with session_scope() as session:
                ticket = tickets.vendor_ticket(session, actor=actor, ticket_id=self.ticket_id)
                from cbportal.models import VendorAccount
                nickname = session.get(VendorAccount, ticket.account_id).nickname
                ticket_desk.save_canned_reply(session, now=get_clock().now(), actor=actor, account=nickname,
                                              title=title, body=body,
                                              reply_id=int(self.canned_id) if self.canned_id.isdigit() else None)
        except ServiceError as error:
            self.canned_title, self.canned_body, self.canned_error = title, body, sentence(error)   # kept as typed
            return
        self.canned_open, self.canned_error = False, ""
        self.notice = f"Canned text “{title.strip()}” saved for the account."
        self._read_canned(actor)
