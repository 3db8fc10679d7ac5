"""Route constants and URL builders for the pages. The builders take a plain value or a
Reflex Var (a table row's field): they format, never branch, on their argument."""

HOME = "/"
LOGIN = "/login"
PORTAL = "/portal"
VENDOR = "/vendor"
STAFF = "/staff"
PORTAL_TICKET = "/portal/ticket"
VENDOR_TICKETS = "/vendor/tickets"
VENDOR_TICKET = "/vendor/ticket"
STAFF_EMAILS = "/staff/emails"
STAFF_PHONE = "/staff/phone"
STAFF_TEST = "/staff/test"
INVITE = "/invite"
BUY = "/buy"
BUY_MORE = "/buy/more"
BUY_THANKS = "/buy/thanks"
PORTAL_CARD = "/portal/card"
PORTAL_ORDERS = "/portal/orders"
VENDOR_PRODUCTS = "/vendor/products"
VENDOR_ORDERS = "/vendor/orders"
VENDOR_USERS = "/vendor/users"
VENDOR_REPORTS = "/vendor/reports"
VENDOR_SETTINGS = "/vendor/settings"
VENDOR_EMAILS = "/vendor/emails"


def login(next: str = "") -> str:
    """The sign-in page, coming back to `next` afterwards."""
    return f"{LOGIN}?next={next}" if next else LOGIN


def vendor_orders(receipt: str = "") -> str:
    """The vendor's transactions, with one order's window open when `receipt` is given."""
    return vendor_order(receipt) if receipt else VENDOR_ORDERS


def vendor_order(receipt) -> str:
    """The vendor's transactions with the order `receipt`'s window open."""
    return f"{VENDOR_ORDERS}?receipt={receipt}"


def vendor_tickets_for(receipt) -> str:
    """The vendor's tickets page with the new-ticket form filled for the order `receipt`."""
    return f"{VENDOR_TICKETS}?receipt={receipt}"


def vendor_ticket(ticket_id) -> str:
    return f"{VENDOR_TICKET}?id={ticket_id}"
