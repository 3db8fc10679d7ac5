"""Customer portal: look an order up by receipt + email (no account needed)."""

from __future__ import annotations

import reflex as rx

from cbportal.db import get_engine, reader, session_scope
from cbportal.models import Product, ProductKind
from cbportal.services.accounts import ratelimit
from cbportal.services.billing import orders, purchase
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.delivery import links
from cbportal.services.tickets import lifecycle as tickets
from cbportal.settings import get_settings
from cbportal.state.customer_words import customer_sentence
from cbportal.state.portal_rows import BillRow, TicketLink, bill_rows, subscription_line, ticket_links


class PortalState(rx.State):
    email: str = ""
    open_type: str = "tech_support"
    open_error: str = ""
    tickets: list[TicketLink] = []
    has_subscription: bool = False
    error: str = ""
    receipt_error: str = ""
    email_error: str = ""
    found: bool = False
    receipt: str = ""
    title: str = ""
    subscription: str = ""
    contact: str = ""
    status_words: str = ""
    next_charge: str = ""
    terms: str = ""
    card_url: str = ""
    physical: bool = False
    bills: list[BillRow] = []

    @rx.event
    def load(self):
        """A signed link (from the receipt email or checkout) opens the order directly."""
        params = self.router.url.query_parameters
        receipt, email, sig = params.get("receipt", ""), params.get("email", ""), params.get("sig", "")
        if receipt and email and links.check_order_signature(get_settings().secret, receipt, email, sig):
            return PortalState.lookup({"receipt": receipt, "email": email, "sig": sig})
        self.found, self.error, self.receipt_error, self.email_error = False, "", "", ""

    @rx.event
    def start_over(self):
        """Back to the empty lookup form."""
        self.found, self.error, self.receipt_error, self.email_error, self.open_error = False, "", "", "", ""

    @rx.event
    def lookup(self, form: dict):
        self.error, self.found = "", False
        receipt, email = str(form.get("receipt", "")).strip(), str(form.get("email", "")).strip()
        self.receipt_error = "" if receipt else "Enter the receipt number from your purchase email."
        self.email_error = "" if email else "Enter the email address you used when buying."
        if not receipt or not email:
            self.error = "Please fill in both fields."
            return
        # A valid signed link is never counted nor refused by the attempt limit.
        signed = links.check_order_signature(get_settings().secret, receipt, email, str(form.get("sig", "")))
        try:
            view = orders.guarded_lookup(get_engine(), client=self.router.session.client_ip or "unknown",
                                            now=get_clock().now(), receipt=receipt, email=email, signed=signed)
        except ratelimit.TooManyAttempts as refused:
            self.error = customer_sentence(refused)
            return
        except ServiceError:
            self.error = "We found no order with that receipt and email. Check both and try again."
            return
        self.receipt, self.title, self.email = view["receipt"], view["title"], email
        self.has_subscription = view["subscription"] is not None and view["subscription"]["status"] in (
            "active", "dunning")
        self._load_tickets()
        self.bills, self.subscription = bill_rows(view, email, get_settings().secret), subscription_line(view)
        with reader(get_engine()) as session:
            order = orders.customer_lookup(session, receipt=self.receipt, email=email)
            summary = purchase.summary(session, order, base_url="", secret=get_settings().secret)
            self.physical = session.get(Product, order.product_id).kind == ProductKind.PHYSICAL
        self.status_words, self.terms, self.contact = summary["status"], summary["terms"], summary["contact"]
        self.next_charge, self.card_url = summary["next_charge"], summary["card_url"]
        self.found = True

    def _load_tickets(self) -> None:
        with reader(get_engine()) as session:
            order = orders.customer_lookup(session, receipt=self.receipt, email=self.email)
            rows = tickets.order_tickets(session, order)
        self.tickets = ticket_links(rows, self.email, get_settings().secret)

    @rx.event
    def choose_type(self, value: str):
        if value in ("tech_support", "refund", "cancel"):
            self.open_type = value

    @rx.event
    def open_ticket(self, form: dict):
        self.open_error = ""
        if not self.found:
            self.open_error = "Look your order up first."
            return
        try:
            with session_scope() as session:
                order = orders.customer_lookup(session, receipt=self.receipt, email=self.email)
                ticket = tickets.open_ticket(session, now=get_clock().now(), order=order, type=self.open_type,
                                             who=tickets.acting_for(None), opener=tickets.opener_for(None),
                                             comment=str(form.get("comment", "")))
                session.flush()
                ticket_id = ticket.id
        except ServiceError as error:
            self.open_error = customer_sentence(error)
            return
        return rx.redirect(links.customer_ticket_url("", get_settings().secret, ticket_id, self.email))
