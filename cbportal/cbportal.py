"""The Reflex app: pages, the REST API (/api/v1) on the backend, the in-process worker,
and operations (/healthz, /readyz, /metrics, request logs: cbportal.ops)."""

import asyncio
import contextlib
import ipaddress

from cbportal import routes
from cbportal.api.app import build_api
from cbportal.app_events import PortalApp
from cbportal.ops import events as event_timing
from cbportal.ops.http import build_ops_app, request_log
from cbportal.ops.logs import configure as configure_logging
from cbportal.ops.mail_in_server import mail_in_task
from cbportal.ops.metrics import install_database_collector, watch_websockets
from cbportal.pages.card import card_page
from cbportal.pages.checkout import checkout_page
from cbportal.pages.confirmation import confirmation_page
from cbportal.pages.customer_ticket import customer_ticket
from cbportal.pages.home import home
from cbportal.pages.invite import invite_page
from cbportal.pages.login import login
from cbportal.pages.my_orders import my_orders_page
from cbportal.pages.portal import portal
from cbportal.pages.reports import reports_page
from cbportal.pages.settings import settings_page
from cbportal.pages.staff import staff, staff_phone
from cbportal.pages.staff_emails import staff_emails
from cbportal.pages.upsell import upsell_page
from cbportal.pages.vendor import vendor
from cbportal.pages.vendor_emails import vendor_emails
from cbportal.pages.vendor_orders import vendor_orders
from cbportal.pages.vendor_products import vendor_products
from cbportal.pages.vendor_ticket import vendor_ticket
from cbportal.pages.vendor_tickets import vendor_tickets
from cbportal.pages.vendor_users import vendor_users
from cbportal.services.engine import worker
from cbportal.settings import SettingsError, get_settings
from cbportal.state.card import CardState
from cbportal.state.checkout import CheckoutState
from cbportal.state.confirmation import ConfirmationState
from cbportal.state.customer_ticket import CustomerTicketState
from cbportal.state.invite import InviteState
from cbportal.state.my_orders import MyOrdersState
from cbportal.state.offers import UpsellState
from cbportal.state.portal import PortalState
from cbportal.state.reports import ReportsState
from cbportal.state.session import SessionState
from cbportal.state.settings import SettingsState
from cbportal.state.staff import StaffHomeState, StaffPhoneState
from cbportal.state.staff_emails import StaffEmailsState
from cbportal.state.subscriber_list import SubscriptionListState
from cbportal.state.ticket_desk import TicketDeskState
from cbportal.state.vendor import VendorHomeState
from cbportal.state.vendor_emails import VendorEmailsState
from cbportal.state.vendor_orders import VendorOrdersState
from cbportal.state.vendor_products import VendorProductsState
from cbportal.state.vendor_tickets import VendorTicketsState, VendorTicketState
from cbportal.state.vendor_users import VendorUsersState

settings = get_settings()  # bad settings fail here, at start, with a clear message
configure_logging()        # JSON lines (or plain with CBPORTAL_LOG_FORMAT=plain)
if settings.test_mode:
    from reflex.config import get_config

    host = get_config().backend_host
    if host not in ("localhost",) and not ipaddress.ip_address(host).is_loopback:
        raise SettingsError("CBPORTAL_TEST_MODE=1 binds to loopback only; set REFLEX_BACKEND_HOST=127.0.0.1")


@contextlib.asynccontextmanager
async def worker_task():
    """Run the worker inside the app process (the laptop default; CBPORTAL_WORKER=0 turns it off).
    On shutdown (SIGTERM) it returns within 1.5 s: the worker's passes run in a daemon thread,
    so a pass blocked on a busy database no longer holds the process (it used to wait in
    the event loop's executor for the whole pass or the 30 s SQLite busy timeout)."""
    if not settings.run_worker:
        yield
        return
    from cbportal.db import get_engine
    from cbportal.services.core.clock import get_clock
    from cbportal.services.engine.worker import run_forever

    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(get_engine(), get_clock(), stop=stop, stop_grace=1.0, halt_grace=0.5))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)


# The API app mounts Reflex; the ops app (/healthz, /readyz, /metrics) mounts that; the
# request log wraps everything, so each request is timed and logged once, with its id.
# PortalApp: Reflex's app whose event queue drops a departed browser's queued events (app_events.py).
app = PortalApp(api_transformer=[build_api(), build_ops_app(), request_log])
app.register_lifespan_task(worker_task)
app.register_lifespan_task(mail_in_task)  # the embedded mail receiver, CBPORTAL_MAIL_IN=1 (docs/inbound-email.md)
event_timing.install()
install_database_collector(worker.all_sources)
watch_websockets(app)
app.add_page(home, route=routes.HOME, title="cbportal", on_load=SessionState.load_user)
app.add_page(login, route=routes.LOGIN, title="Log in · cbportal", on_load=SessionState.load_user)
app.add_page(portal, route=routes.PORTAL, title="Find your order · cbportal",
             on_load=[SessionState.load_user, PortalState.load])
app.add_page(vendor, route=routes.VENDOR, title="Vendor dashboard · cbportal", on_load=VendorHomeState.load)
app.add_page(staff, route=routes.STAFF, title="Staff · cbportal", on_load=StaffHomeState.load)
app.add_page(customer_ticket, route=routes.PORTAL_TICKET, title="Your ticket · cbportal",
             on_load=[SessionState.load_user, CustomerTicketState.load])
app.add_page(vendor_tickets, route=routes.VENDOR_TICKETS, title="Tickets · cbportal", on_load=VendorTicketsState.load)
app.add_page(vendor_ticket, route=routes.VENDOR_TICKET, title="Ticket · cbportal",
             on_load=[VendorTicketState.load, TicketDeskState.load_desk])
app.add_page(staff_emails, route=routes.STAFF_EMAILS, title="Email samples · cbportal", on_load=StaffEmailsState.load)
app.add_page(checkout_page, route=routes.BUY, title="Checkout · cbportal",
             on_load=[SessionState.load_user, CheckoutState.load])
app.add_page(confirmation_page, route=routes.BUY_THANKS, title="Thank you · cbportal",
             on_load=[SessionState.load_user, ConfirmationState.load])
app.add_page(my_orders_page, route=routes.PORTAL_ORDERS, title="Your orders · cbportal",
             on_load=[SessionState.load_user, MyOrdersState.load])
app.add_page(card_page, route=routes.PORTAL_CARD, title="Update your card · cbportal",
             on_load=[SessionState.load_user, CardState.load])
app.add_page(vendor_users, route=routes.VENDOR_USERS, title="Users · cbportal", on_load=VendorUsersState.load)
app.add_page(reports_page, route=routes.VENDOR_REPORTS, title="Reports · cbportal",
             on_load=[ReportsState.load, SubscriptionListState.load_list])
app.add_page(staff_phone, route=routes.STAFF_PHONE, title="Phone ticket · cbportal", on_load=StaffPhoneState.load)
app.add_page(invite_page, route=routes.INVITE, title="Choose your password · cbportal",
             on_load=[SessionState.load_user, InviteState.load])
app.add_page(settings_page, route=routes.VENDOR_SETTINGS, title="Settings · cbportal", on_load=SettingsState.load)
app.add_page(vendor_orders, route=routes.VENDOR_ORDERS, title="Transactions · cbportal", on_load=VendorOrdersState.load)
app.add_page(upsell_page, route=routes.BUY_MORE, title="Add to your order · cbportal",
             on_load=[SessionState.load_user, UpsellState.load])
app.add_page(vendor_emails, route=routes.VENDOR_EMAILS, title="Email samples · cbportal",
             on_load=VendorEmailsState.load)
app.add_page(vendor_products, route=routes.VENDOR_PRODUCTS, title="Products · cbportal",
             on_load=VendorProductsState.load)
if settings.test_mode:  # the staff test page: test clock and "advance to the next event" (R2)
    from cbportal.pages.staff_test import staff_test
    from cbportal.state.staff_test import StaffTestState

    app.add_page(staff_test, route=routes.STAFF_TEST, title="Test clock · cbportal", on_load=StaffTestState.load)
