"""The pages. Each registers itself with `@registered.page(...)` (components/page.py);
this list imports them, in navbar order: adding a page is its module plus one line here."""

import importlib

PAGE_MODULES = (
    "portal", "vendor", "vendor_tickets", "vendor_orders", "vendor_products", "reports", "vendor_users", "settings",
    "staff", "staff_emails",                                     # the navbar's pages, in its order
    "home", "login", "customer_ticket", "vendor_ticket", "checkout", "confirmation", "my_orders", "card",
    "invite", "upsell", "vendor_emails",
)
TEST_MODE_MODULES = ("staff_test",)  # the test clock page (R2): its state exists only in test mode


def import_all(*, test_mode: bool) -> None:
    for name in PAGE_MODULES + (TEST_MODE_MODULES if test_mode else ()):
        importlib.import_module(f"{__name__}.{name}")
