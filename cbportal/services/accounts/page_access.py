"""Who may open which page and which navigation links they see: the one source of truth
the pages, the navbar and the tests read (RULES R8's role table, issue 16 point 1).

`may_open(actor, route)` answers for a page; `refusal(actor, route)` is the sentence a
page shows instead of its content when the answer is no; `nav_links(actor)` lists the
navbar entries the user may use. Buttons and forms inside a page check the same roles
through `actor.has(...)` (the services refuse the action anyway: R8, the browser is never
trusted)."""

from __future__ import annotations

from collections.abc import Callable

from cbportal import routes
from cbportal.models import Role
from cbportal.services.accounts.auth import Actor

Rule = Callable[[Actor], bool]


def anyone(actor: Actor | None) -> bool:
    return True


def vendor_user(actor: Actor | None) -> bool:
    return actor is not None and not actor.is_staff and actor.master_account_id is not None


def staff(actor: Actor | None) -> bool:
    return actor is not None and actor.is_staff


def vendor_with(role: Role) -> Rule:
    return lambda actor: vendor_user(actor) and actor.has(role)


def vendor_with_or_staff(role: Role) -> Rule:
    return lambda actor: staff(actor) or vendor_with(role)(actor)


def owner(actor: Actor | None) -> bool:
    return vendor_user(actor) and actor.is_owner


# route -> (who may open it, what they need in words)
PAGES: dict[str, tuple[Rule, str]] = {
    routes.HOME: (anyone, ""),
    routes.PORTAL: (anyone, ""),
    routes.VENDOR: (vendor_user, "a vendor login"),
    routes.VENDOR_TICKETS: (vendor_with(Role.MANAGE_TICKETS), "the Manage Tickets role"),
    routes.VENDOR_TICKET: (vendor_with_or_staff(Role.MANAGE_TICKETS), "the Manage Tickets role"),
    routes.VENDOR_ORDERS: (vendor_with_or_staff(Role.MANAGE_ORDERS), "the Manage Orders role"),
    routes.VENDOR_PRODUCTS: (vendor_with(Role.MANAGE_PRODUCTS), "the Manage Products role"),
    routes.VENDOR_REPORTS: (vendor_with(Role.REPORT_ACCESS), "report access"),
    routes.VENDOR_USERS: (vendor_user, "a vendor login"),          # everyone's own API keys live there
    routes.VENDOR_SETTINGS: (vendor_user, "a vendor login"),       # clerks read, the owner changes
    routes.STAFF: (staff, "platform staff"),
    routes.STAFF_PHONE: (staff, "platform staff"),
    routes.STAFF_EMAILS: (staff, "platform staff"),
    routes.STAFF_TEST: (staff, "platform staff"),
}

# The navbar, in order: (label, link, who sees it). A link is shown only to users who may
# open its page and use what it is for.
NAV: list[tuple[str, str, Rule]] = [
    ("Customer portal", routes.PORTAL, lambda a: not staff(a)),
    ("Vendor dashboard", routes.VENDOR, vendor_user),
    ("Tickets", routes.VENDOR_TICKETS, PAGES[routes.VENDOR_TICKETS][0]),
    ("Transactions", routes.VENDOR_ORDERS, vendor_with(Role.MANAGE_ORDERS)),
    ("Products", routes.VENDOR_PRODUCTS, PAGES[routes.VENDOR_PRODUCTS][0]),
    ("Reports", routes.VENDOR_REPORTS, PAGES[routes.VENDOR_REPORTS][0]),
    ("Users", routes.VENDOR_USERS, vendor_with(Role.MANAGE_USERS)),
    ("API keys", routes.VENDOR_USERS + "#keys", lambda a: vendor_user(a) and not a.has(Role.MANAGE_USERS)),
    ("Settings", routes.VENDOR_SETTINGS, owner),
    ("Staff", routes.STAFF, staff),
    ("Phone ticket", routes.STAFF_PHONE, staff),
    ("Email samples", routes.STAFF_EMAILS, staff),
]


def may_open(actor: Actor | None, route: str) -> bool:
    rule = PAGES.get(route)
    return rule is not None and rule[0](actor)


def refusal(actor: Actor | None, route: str) -> str:
    """Why this user may not open the page, as a sentence ("" when they may)."""
    if may_open(actor, route):
        return ""
    rule, need = PAGES.get(route, (None, "another login"))
    if rule is staff:
        return "This page is for platform staff only."
    if staff(actor):
        return "This page is for vendor users; you are signed in as platform staff."
    if not vendor_user(actor):
        return "This page is for vendor users."
    return f"Your login does not have {need}, which this page needs. Ask your account owner if you need it."


def nav_links(actor: Actor | None) -> list[str]:
    """The links (hrefs) of the navbar entries this user sees."""
    return [href for _, href, rule in NAV if rule(actor)]
