"""Home: what the portal is, and the way into each area."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import public_page
from cbportal.components.page import PUBLIC


def area(title: str, text: str, href: str, action: str) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="4"), rx.text(text, color_scheme="gray"),
                             rx.link(rx.button(action), href=href), spacing="3"), width="100%")


@registered.page(routes.HOME, "", area=PUBLIC)
def home() -> rx.Component:
    return public_page(
        rx.heading("Support tickets and recurring billing for digital products", size="7"),
        rx.text("Customers ask for help, refunds or cancelations; vendors get a business day to save the sale; "
                "subscriptions bill exactly on schedule, and every party hears about every change.", size="4"),
        rx.grid(
            area("Customers", "Look up an order with its receipt and email, see your bills, open a ticket.",
                 routes.PORTAL, "Find my order"),
            area("Vendors", "Tickets with their countdowns, orders, subscriptions and reports.",
                 routes.VENDOR, "Vendor dashboard"),
            area("Platform staff", "Product approvals, escalations and phone tickets.", routes.STAFF, "Staff area"),
            columns=rx.breakpoints(initial="1", sm="3"), spacing="4", width="100%",
        ),
    )
