"""The Manage Subscription modal over the transaction window (RULES R7): change product
(with the prorated refund preview), bill date, extend, reinstate, shipping address. The
services check the Subscription Management role and the account on every change (R8)."""

from __future__ import annotations

import contextlib

import reflex as rx

from cbportal.db import get_engine, reader, session_scope
from cbportal.services.billing import subscriptions
from cbportal.services.billing.gateways import get_gateway
from cbportal.services.core.clock import get_clock
from cbportal.services.core.errors import ServiceError
from cbportal.services.core.money import format_cents
from cbportal.state import manage_form
from cbportal.state.base import SESSION_ENDED
from cbportal.state.manage_form import ProductChoice
from cbportal.state.order_window import OrderWindowState
from cbportal.state.session import sentence
from cbportal.state.vendor_orders import _day

KEEP_NOTICE = "\0"   # `done` for a change whose handler wrote its own notice


class ManageSubscriptionState(OrderWindowState):
    offers: dict[str, bool] = {}
    choices: list[ProductChoice] = []
    chosen_sku: str = ""
    refund_declined: bool = False
    preview: str = ""
    modal_error: str = ""
    modal_notice: str = ""
    shipping: dict[str, str] = {}
    tab: str = "product"            # the open tab; moves when a change takes its offer away (issue 16)

    def _load_options(self, actor) -> None:
        with reader(get_engine()) as session:
            offered = subscriptions.options(session, now=get_clock().now(), actor=actor, receipt=self.receipt)
        self.offers = on_offer = manage_form.offers(offered)
        self.choices, self.shipping = manage_form.product_choices(offered), manage_form.shipping(offered)
        self.tab = manage_form.open_tab(self.tab, on_offer)

    def _modal(self, fn, done: str = "") -> None:
        """Run `fn(actor)` for the modal; after a change (`done`), re-read the window and
        what is on offer, also after a refusal: the offer may be what changed."""
        actor = self._require()
        if actor is None:
            self.modal_error = SESSION_ENDED
            return
        try:
            fn(actor)
            self.modal_error = ""
        except ServiceError as error:
            self.modal_error, self.modal_notice = sentence(error), ""
        if done:
            if not self.modal_error and done != KEEP_NOTICE:
                self.modal_notice = done
            with contextlib.suppress(ServiceError):
                self._open(actor, self.receipt)
                self._load_options(actor)

    @rx.event
    def open_manage(self):
        self.modal_error, self.modal_notice, self.preview, self.chosen_sku = "", "", "", ""
        self.refund_declined, self.tab = False, "product"
        self._modal(self._load_options)
        self.manage_open = self.modal_error == ""
        if not self.manage_open:
            self.error = self.modal_error

    @rx.event
    def set_tab(self, value: str):
        if value in manage_form.TAB_NAMES:
            self.tab, self.modal_error = value, ""

    @rx.event
    def set_manage_open(self, value: bool):
        self.manage_open = bool(value)

    def _preview(self, actor) -> None:
        if not self.chosen_sku:
            self.preview = ""
            return
        with reader(get_engine()) as session:
            plan = subscriptions.preview_change_product(session, now=get_clock().now(), actor=actor,
                                                        receipt=self.receipt, sku=self.chosen_sku,
                                                        prorated=not self.refund_declined)
        self.preview = manage_form.preview_words(plan)

    @rx.event
    def choose_product(self, sku: str):
        self.chosen_sku, self.modal_notice = sku, ""
        self._modal(self._preview)

    @rx.event
    def set_refund_declined(self, value: bool):
        self.refund_declined = bool(value)
        self._modal(self._preview)

    @rx.event
    def save_product(self, form: dict):
        day = str(form.get("next_bill_date", "")).strip()

        def change(actor):
            cents = subscriptions.change_product(get_engine(), now=get_clock().now(), gateway=get_gateway(),
                                                 actor=actor, receipt=self.receipt, sku=self.chosen_sku,
                                                 prorated=not self.refund_declined, next_bill_date=_day(day))
            self.modal_notice = f"Product changed; {format_cents(cents)} refunded. The customer was emailed."

        if not self.chosen_sku:
            self.modal_error = "Choose the new product first."
            return
        self._modal(change, KEEP_NOTICE)
        if not self.modal_error:
            self.preview, self.chosen_sku = "", ""

    def _change(self, service, done: str, **args) -> None:
        """One change in one transaction: `service(session, now, actor, receipt, **args)`."""
        def run(actor):
            with session_scope() as session:
                service(session, now=get_clock().now(), actor=actor, receipt=self.receipt, **args)
        self._modal(run, done)

    @rx.event
    def save_bill_date(self, form: dict):
        day, problem = manage_form.typed_bill_date(form)
        if problem:
            self.modal_error = problem
            return
        self._change(subscriptions.change_bill_date, "Bill date changed. The customer was emailed.", day=day)

    @rx.event
    def save_extend(self, form: dict):
        text = str(form.get("periods", "")).strip()
        if not text.isdigit():
            self.modal_error = "Extend by a whole number of billing periods, 1 or more."
            return
        self._change(subscriptions.extend,
                     f"Extended by {text} billing period{'' if text == '1' else 's'}. The customer was emailed.",
                     periods=int(text))

    @rx.event
    def reinstate(self):
        self._change(subscriptions.reinstate, "Subscription reinstated. The customer was emailed.")

    @rx.event
    def save_shipping(self, form: dict):
        self._change(subscriptions.change_shipping, "Shipping address saved. The customer was emailed.",
                     address=manage_form.typed_address(form))
