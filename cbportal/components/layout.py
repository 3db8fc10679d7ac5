"""The page template: navbar for the three areas, the signed-in user, page body."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.state.session import SessionState


def nav_link(text: str, href: str) -> rx.Component:
    return rx.link(text, href=href, size="3", weight="medium", color_scheme="gray", high_contrast=True,
                   white_space="nowrap")


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
            nav_link("Settings", routes.VENDOR_SETTINGS),
            nav_link("Staff", routes.STAFF),
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


def page(*children: rx.Component) -> rx.Component:
    return rx.box(
        rx.script(src="/countdown.js"),
        navbar(),
        rx.container(rx.vstack(*children, spacing="5", width="100%"), size="4", padding_y="2em"),
        width="100%",
    )
