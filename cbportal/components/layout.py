"""The page template: navbar for the three areas, the signed-in user, page body."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.state.session import SessionState


def nav_link(text: str, href: str) -> rx.Component:
    """Shown only to users who may use it (services/page_access.py decides: SessionState.nav)."""
    return rx.cond(SessionState.nav.contains(href), rx.link(
        text, href=href, size="3", weight="medium", color_scheme="gray", high_contrast=True, white_space="nowrap"))


def navbar() -> rx.Component:
    return rx.hstack(
        rx.link(rx.heading("cbportal", size="5"), href=routes.HOME, underline="none"),
        rx.hstack(
            nav_link("Customer portal", routes.PORTAL),
            nav_link("Vendor dashboard", routes.VENDOR),
            nav_link("Tickets", routes.VENDOR_TICKETS),
            nav_link("Transactions", routes.VENDOR_ORDERS),
            nav_link("Products", routes.VENDOR_PRODUCTS),
            nav_link("Reports", routes.VENDOR_REPORTS),
            nav_link("Users", routes.VENDOR_USERS),
            nav_link("API keys", routes.VENDOR_USERS + "#keys"),
            nav_link("Settings", routes.VENDOR_SETTINGS),
            nav_link("Staff", routes.STAFF),
            nav_link("Phone ticket", routes.STAFF_PHONE),
            nav_link("Email samples", routes.STAFF_EMAILS),
            spacing="5",
        ),
        rx.spacer(),
        rx.cond(
            SessionState.user_name != "",
            rx.hstack(
                rx.text(SessionState.user_name, " (", SessionState.user_kind, ")", size="2"),
                rx.button("Log out", on_click=SessionState.logout, variant="soft", size="2"),
                align="center",
            ),
            rx.link(rx.button("Log in", size="2"), href=routes.LOGIN),
        ),
        align="center", spacing="6", padding_x="2em", padding_y="1em", width="100%",
        border_bottom="1px solid var(--gray-a5)",
    )


def refused_box() -> rx.Component:
    """A page this user may not open says so and links home (issue 16)."""
    return rx.callout(rx.vstack(rx.text(SessionState.refused, data_testid="refused"),
                                rx.link("Back to the home page", href=routes.HOME)),
                      color_scheme="amber", role="alert")


def page(*children: rx.Component) -> rx.Component:
    return rx.box(
        rx.script(src="/countdown.js"),
        navbar(),
        rx.container(rx.cond(SessionState.refused != "", refused_box(),
                             rx.vstack(*children, spacing="5", width="100%")), size="4", padding_y="2em"),
        width="100%",
    )
