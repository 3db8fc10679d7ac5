"""The role x action matrix over every service entry point (R8, issue 5).

Every public service function that takes an `actor` is listed here (a new one without an
entry fails `test_the_matrix_lists_every_service_entry_point`) with who must be refused:
an acme clerk holding no role ("bare"), an acme clerk holding only Manage Tickets
("clerk"), the owner of another account ("stranger"), acme's owner, platform staff.
A refused call raises a service error and changes nothing; an allowed call by the
stranger returns nothing of acme; the control (acme's owner, or staff for staff work) is
let through: it may still meet a data rule (a conflict), never a refusal."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import timedelta

import pytest
from sqlmodel import Session, select

import cbportal.services
from cbportal.models import ApiKey, PaymentAttempt, Role, Ticket, User, VendorAccount
from cbportal.services.accounts import accounts, auth, business_calendars, dashboard, invitations, linking, users
from cbportal.services.billing import (
    affiliates,
    offers,
    orders,
    products,
    reports,
    subscriber_list,
    subscriptions,
    transactions,
)
from cbportal.services.billing.gateways.sandbox import SandboxGateway
from cbportal.services.core import clock as clock_module
from cbportal.services.core.errors import Forbidden, NotFound, ServiceError, Unauthorized
from cbportal.services.delivery import ins_admin
from cbportal.services.staff import desk as staff_desk
from cbportal.services.staff import products as staff_products
from cbportal.services.staff import samples as staff_samples
from cbportal.services.tickets import board as ticket_board
from cbportal.services.tickets import desk as ticket_desk
from cbportal.services.tickets import lifecycle as tickets
from tests import factories
from tests.utils.handlers import ALWAYS_IGNORED, fingerprint

VENDORS = {"bare", "clerk", "stranger", "owner"}
STAFF_ONLY = VENDORS
REFUSALS = (Forbidden, NotFound, Unauthorized)
EXEMPT = {"core.audit.record": "writes the caller's audit row inside another entry point; not an entry point",
          **{f"accounts.page_access.{name}": "a pure answer about the actor's own roles (which pages and links to show); "
                                    "reads no data: tests/db/test_page_access.py"
             for name in ("anyone", "vendor_user", "staff", "owner", "may_open", "refusal", "nav_links")}}


def entry_points() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(cbportal.services.__path__, "cbportal.services."):
        module = importlib.import_module(info.name)
        short = info.name.removeprefix("cbportal.services.")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") \
                    and "actor" in inspect.signature(fn).parameters:
                found.add(f"{short}.{name}")
    return found


def matrix(w, session, now):
    """name -> (call(actor, who), refused callers). Calls target acme (its receipt, nickname, users)."""
    r, acme = w["receipt"], "acme"
    acme_id = session.exec(select(VendorAccount.id).where(VendorAccount.nickname == acme)).one()
    key_id = session.exec(select(ApiKey.id).where(ApiKey.user_id == w["owner_id"])).first()
    attempt_id = session.exec(select(PaymentAttempt.id)).first()
    sub = dict(session=session, now=now, receipt=r)
    gateway = SandboxGateway(w["engine"], clock_module.get_clock())
    ticket = lambda: session.get(Ticket, w["ticket_id"])  # noqa: E731
    no_tickets, no_orders, sub_mgmt = {"bare"}, {"bare", "clerk"}, {"bare", "clerk", "stranger"}
    return {
        "accounts.accounts.accounts_of": (lambda a, who: accounts.accounts_of(session, a), set()),
        "billing.affiliates.referred_subscriptions": (lambda a, who: affiliates.referred_subscriptions(session, actor=a),
                                              no_orders),
        "accounts.accounts.accounts_for": (lambda a, who: accounts.accounts_for(session, a, Role.MANAGE_ORDERS, acme),
                                  sub_mgmt),
        "accounts.accounts.create_account": (lambda a, who: accounts.create_account(
            session, now=now, actor=a, nickname=f"new{who}", time_zone="UTC", account_email=f"o@new{who}.test"),
            STAFF_ONLY),
        "accounts.accounts.update_settings": (lambda a, who: accounts.update_settings(
            session, now=now, actor=a, nickname=acme, reminder_days=5), sub_mgmt),
        "accounts.accounts.visible_account": (lambda a, who: accounts.visible_account(session, a, acme), {"stranger"}),
        "accounts.business_calendars.set_calendar": (lambda a, who: business_calendars.set_calendar(
            session, now=now, actor=a, nickname=acme, country="US", closed=["2026-12-24"]), sub_mgmt),
        "accounts.auth.revoke_api_key": (lambda a, who: auth.revoke_api_key(session, now=now, actor=a, key_id=key_id), sub_mgmt),
        "accounts.dashboard.account_summaries": (lambda a, who: dashboard.account_summaries(session, actor=a, now=now), set()),
        "accounts.dashboard.escalations": (lambda a, who: dashboard.escalations(session, actor=a), STAFF_ONLY),
        "accounts.dashboard.staff_summary": (lambda a, who: dashboard.staff_summary(session, actor=a), STAFF_ONLY),
        "accounts.dashboard.ticket_list": (lambda a, who: dashboard.ticket_list(session, actor=a), no_tickets),
        "delivery.ins_admin.delivery_log": (lambda a, who: ins_admin.delivery_log(session, actor=a, nickname=acme), sub_mgmt),
        "delivery.ins_admin.send_test": (lambda a, who: ins_admin.send_test(session, now=now, actor=a, nickname=acme), sub_mgmt),
        "accounts.invitations.invite": (lambda a, who: invitations.invite(
            session, now=now, actor=a, email=f"inv-{who}@example.test", name="Inv", roles=[], base_url="",
            secret="s"), no_orders),
        "accounts.linking.issue_code": (lambda a, who: linking.issue_code(session, now=now, actor=a, nickname=acme), sub_mgmt),
        "accounts.linking.link": (lambda a, who: linking.link(session, now=now, actor=a, nickname="other",
                                                     code=w["other_code"]), {"bare", "clerk"}),
        "billing.orders.vendor_order": (lambda a, who: orders.vendor_order(session, actor=a, receipt=r), sub_mgmt),
        "billing.products.create_product": (lambda a, who: products.create_product(
            session, now=now, actor=a, sku=f"M{who}", account=acme, title="M", kind="digital", currency="USD",
            initial_price_cents=995, commission_initial_pct=50), sub_mgmt),
        "billing.products.decide_product": (lambda a, who: products.decide_product(
            session, now=now, actor=a, sku="PRO", approve=False), STAFF_ONLY),
        "billing.products.products_of": (lambda a, who: products.products_of(session, actor=a), set()),
        "billing.offers.set_offers": (lambda a, who: offers.set_offers(session, now=now, actor=a, sku="PRO"), sub_mgmt),
        "billing.products.update_description": (lambda a, who: products.update_description(
            session, now=now, actor=a, sku="PRO", description="forged"), sub_mgmt),
        "billing.reports.monthly": (lambda a, who: reports.monthly(session, actor=a, now=now), no_orders),
        "billing.reports.report_accounts": (lambda a, who: reports.report_accounts(session, a), no_orders),
        "billing.reports.report_zone": (lambda a, who: reports.report_zone(session, actor=a, account=acme), sub_mgmt),
        "billing.reports.subscription_counts": (lambda a, who: reports.subscription_counts(session, actor=a), no_orders),
        "staff.desk.accounts": (lambda a, who: staff_desk.accounts(session, actor=a), STAFF_ONLY),
        "staff.desk.phone_ticket": (lambda a, who: staff_desk.phone_ticket(
            session, now=now, actor=a, receipt=r, email="buyer@example.test", type="tech_support"), STAFF_ONLY),
        "staff.desk.set_abuse_flag": (lambda a, who: staff_desk.set_abuse_flag(
            session, now=now, actor=a, nickname=acme, flagged=True), STAFF_ONLY),
        "staff.desk.set_admin_frequencies": (lambda a, who: staff_desk.set_admin_frequencies(
            session, now=now, actor=a, nickname=acme, granted=True), STAFF_ONLY),
        "staff.desk.escalations": (lambda a, who: staff_desk.escalations(session, actor=a), STAFF_ONLY),
        "staff.products.review_queue": (lambda a, who: staff_products.review_queue(session, actor=a), STAFF_ONLY),
        "staff.products.decide": (lambda a, who: staff_products.decide(
            session, now=now, actor=a, sku="PRO", approve=False, reason="Misleading terms"), STAFF_ONLY),
        "staff.samples.samples": (lambda a, who: staff_samples.samples(session, actor=a), STAFF_ONLY),
        "staff.desk.stuck_refunds": (lambda a, who: staff_desk.stuck_refunds(session, now=now, actor=a), STAFF_ONLY),
        "staff.desk.retry_refund": (lambda a, who: staff_desk.retry_refund(
            session, now=now, actor=a, attempt_id=attempt_id), STAFF_ONLY),
        "staff.desk.mark_refunded": (lambda a, who: staff_desk.mark_refunded(
            session, now=now, actor=a, attempt_id=attempt_id, reason="Sent by bank transfer"), STAFF_ONLY),
        "billing.subscriber_list.search": (lambda a, who: subscriber_list.search(session, actor=a), no_orders),
        "billing.subscriber_list.export_csv": (lambda a, who: subscriber_list.export_csv(session, actor=a), no_orders),
        "billing.subscriptions.change_bill_date": (lambda a, who: subscriptions.change_bill_date(
            **sub, actor=a, day=now.date() + timedelta(days=20)), sub_mgmt),
        "billing.subscriptions.change_product": (lambda a, who: subscriptions.change_product(
            w["engine"], now=now, gateway=gateway, actor=a, receipt=r, sku="PRO"), sub_mgmt),
        "billing.subscriptions.change_shipping": (lambda a, who: subscriptions.change_shipping(
            **sub, actor=a, address={"line1": "1 Main St"}), sub_mgmt),
        "billing.subscriptions.extend": (lambda a, who: subscriptions.extend(**sub, actor=a, periods=1), sub_mgmt),
        "billing.subscriptions.load": (lambda a, who: subscriptions.load(session, actor=a, receipt=r), sub_mgmt),
        "billing.subscriptions.options": (lambda a, who: subscriptions.options(**sub, actor=a), sub_mgmt),
        "billing.subscriptions.preview_change_product": (lambda a, who: subscriptions.preview_change_product(
            **sub, actor=a, sku="PRO"), sub_mgmt),
        "billing.subscriptions.reinstate": (lambda a, who: subscriptions.reinstate(**sub, actor=a), sub_mgmt),
        "tickets.board.board_accounts": (lambda a, who: ticket_board.board_accounts(session, a), no_tickets),
        "tickets.board.open_tickets": (lambda a, who: ticket_board.open_tickets(session, actor=a, now=now), no_tickets),
        "tickets.board.saved_sales": (lambda a, who: ticket_board.saved_sales(session, actor=a, now=now), no_tickets),
        "tickets.desk.context": (lambda a, who: ticket_desk.context(session, actor=a, ticket_id=w["ticket_id"],
                                                                   now=now), {"bare", "stranger"}),
        "tickets.desk.thread": (lambda a, who: ticket_desk.thread(session, actor=a, ticket_id=w["ticket_id"]),
                               {"bare", "stranger"}),
        "tickets.desk.add_note": (lambda a, who: ticket_desk.add_note(session, now=now, actor=a,
                                                                     ticket_id=w["ticket_id"], body="n"),
                                 {"bare", "stranger"}),
        "tickets.desk.assignable": (lambda a, who: ticket_desk.assignable(session, actor=a, ticket_id=w["ticket_id"]),
                                   {"bare", "stranger"}),
        "tickets.desk.assign": (lambda a, who: ticket_desk.assign(session, now=now, actor=a, ticket_id=w["ticket_id"],
                                                                 user_id=None), {"bare", "stranger"}),
        "tickets.desk.canned_replies": (lambda a, who: ticket_desk.canned_replies(session, actor=a, account=acme),
                                       {"bare", "stranger"}),
        "tickets.desk.save_canned_reply": (lambda a, who: ticket_desk.save_canned_reply(
            session, now=now, actor=a, account=acme, title=f"T{who}", body="b"), {"bare", "stranger"}),
        "tickets.lifecycle.flag": (lambda a, who: tickets.flag(session, now=now, actor=a, account_id=acme_id), STAFF_ONLY),
        "tickets.lifecycle.review": (lambda a, who: tickets.review(session, now=now, actor=a, ticket=ticket(),
                                                         decision="uphold"), STAFF_ONLY),
        "tickets.lifecycle.vendor_ticket": (lambda a, who: tickets.vendor_ticket(session, actor=a, ticket_id=w["ticket_id"]),
                                  {"bare", "stranger"}),
        "billing.transactions.export_csv": (lambda a, who: transactions.export_csv(session, actor=a), no_orders),
        "billing.transactions.search": (lambda a, who: transactions.search(session, actor=a), no_orders),
        "billing.transactions.window": (lambda a, who: transactions.window(session, actor=a, receipt=r), sub_mgmt),
        "accounts.users.add_clerk": (lambda a, who: users.add_clerk(session, now=now, actor=a, email=f"add-{who}@example.test",
                                                           name="Add", password="password-123", roles=[]), no_orders),
        "accounts.users.create_key": (lambda a, who: users.create_key(session, now=now, actor=a, name="mine"), set()),
        "accounts.users.keys_of": (lambda a, who: users.keys_of(session, actor=a), set()),
        "accounts.users.list_users": (lambda a, who: users.list_users(session, actor=a), no_orders),
        "accounts.users.revoke_key": (lambda a, who: users.revoke_key(session, now=now, actor=a, key_id=key_id), sub_mgmt),
        "accounts.users.set_active": (lambda a, who: users.set_active(session, now=now, actor=a, user_id=w["clerk_id"],
                                                             active=False), sub_mgmt),
        "accounts.users.save_permissions": (lambda a, who: users.save_permissions(
            session, now=now, actor=a, user_id=w["clerk_id"], active=True, roles=[], api_roles=[]), sub_mgmt),
        "accounts.users.set_roles": (lambda a, who: users.set_roles(session, now=now, actor=a, user_id=w["clerk_id"],
                                                           roles=[]), sub_mgmt),
    }


@pytest.fixture
def sw(mw):
    """The handler-matrix world plus actors, the owner's id and a link code for "other"."""
    now = clock_module.get_clock().now()
    with Session(mw["engine"]) as s:
        def actor(email):
            return auth.actor_for(s, s.exec(select(User).where(User.email == email)).one())
        actors = {"bare": actor("bare@acme.test"), "clerk": actor("tickets@acme.test"),
                  "stranger": actor("owner@other.test"), "owner": actor("owner@acme.test"),
                  "staff": factories.staff(s, now)}
        code = linking.issue_code(s, now=now, actor=actors["stranger"], nickname="other")
        s.commit()
    return {**mw, "actors": actors, "owner_id": actors["owner"].user_id, "other_code": code, "now": now}


def test_the_matrix_lists_every_service_entry_point(sw):
    with Session(sw["engine"]) as s:
        listed = set(matrix(sw, s, sw["now"])) | set(EXEMPT)
    assert entry_points() - listed == set(), "service entry points missing from the matrix"
    assert listed - entry_points() == set(), "the matrix lists functions that do not exist"


def test_r8_every_service_entry_point_refuses_and_lets_through(sw):
    secrets = (sw["receipt"], "buyer@example.test")
    with Session(sw["engine"]) as s:
        names = sorted(matrix(sw, s, sw["now"]))
    for name in names:
        for who in ("bare", "clerk", "stranger", "owner", "staff"):
            with Session(sw["engine"].execution_options(cbportal_deferred=True)) as session:
                call, refused = matrix(sw, session, sw["now"])[name]
                control = who == ("staff" if refused == STAFF_ONLY else "owner")
                if who == "staff" and not control:
                    continue                      # staff may act on any account: not a refusal case
                before = fingerprint(sw["engine"], ALWAYS_IGNORED)
                try:
                    result = call(sw["actors"][who], who)
                    outcome = None
                except ServiceError as error:
                    result, outcome = None, error
                session.rollback()
                if who in refused:
                    assert isinstance(outcome, REFUSALS), f"{name} by {who}: not refused ({outcome!r})"
                    assert fingerprint(sw["engine"], ALWAYS_IGNORED) == before, f"{name} by {who} changed data"
                else:
                    assert not isinstance(outcome, (Forbidden, Unauthorized)), f"{name} by {who}: {outcome!r}"
                    if control:
                        assert not (isinstance(outcome, NotFound) and name != "accounts.linking.link"), \
                            f"{name}: the control {who} was refused ({outcome!r})"
                    if who == "stranger":
                        assert not any(x in str(result) for x in secrets), f"{name} showed acme to {who}"
