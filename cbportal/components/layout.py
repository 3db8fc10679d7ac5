"""The page template: the navigation bar (a menu button on screens under 768 px), the
signed-in user, the page body.

The navigation links are data in one place (`NAV_LINKS`, filled by `@registered.page(nav=...)`)
and `nav_links(area)` chooses them. Public pages (home, checkout, the customer portal and
ticket, card update, invitation, login) show only the customer links: a customer never
sees the vendor or staff navigation. On vendor and staff pages each link shows only to a
user who may open it (services/accounts/page_access.py decides, through `SessionState.nav`)."""

from __future__ import annotations

import reflex as rx

from cbportal import routes
from cbportal.components.page import NAV_LINKS, PUBLIC, STAFF, VENDOR, NavLink  # noqa: F401
from cbportal.state.session import SessionState

NARROW = "48em"   # 768 px: under it the links fold into the menu button


def nav_links(area: str) -> list[NavLink]:
    """The links a page of `area` (PUBLIC, VENDOR or STAFF) shows."""
    return [link for link in NAV_LINKS if area in link.who]


def allowed(route: str, area: str, shown: rx.Component) -> rx.Component:
    """Public links show to everyone; the others only to users who may open them."""
    return shown if area == PUBLIC else rx.cond(SessionState.nav.contains(route), shown)


def nav_link(text: str, href: str, area: str = VENDOR) -> rx.Component:
    return allowed(href, area, rx.link(text, href=href, size="3", weight="medium", color_scheme="gray",
                                       high_contrast=True, white_space="nowrap"))


def account_controls() -> rx.Component:
    return rx.cond(
        SessionState.user_name != "",
        rx.hstack(
            rx.text(SessionState.user_name, " (", SessionState.user_kind, ")", size="2",
                    display=rx.breakpoints(initial="none", sm="block")),
            rx.button("Log out", on_click=SessionState.logout, variant="soft", size="2"),
            align="center",
        ),
        rx.link(rx.button("Log in", size="2"), href=routes.LOGIN),
    )


def menu_button(links: list[NavLink], area: str) -> rx.Component:
    """The navigation on a narrow screen: one button opening the list of links."""
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(rx.button(rx.icon("menu", size=18), "Menu", variant="soft", size="2",
                                      aria_label="Menu")),
            rx.menu.content(*[allowed(link.route, area, rx.menu.item(link.label, on_click=rx.redirect(link.route)))
                              for link in links]),
        ),
        display=rx.breakpoints(initial="block", sm="none"),
    )


def navbar(area: str = VENDOR) -> rx.Component:
    links = nav_links(area)
    return rx.hstack(
        rx.link(rx.heading("cbportal", size="5"), href=routes.HOME, underline="none"),
        rx.hstack(*[nav_link(link.label, link.route, area) for link in links], spacing="5", wrap="wrap",
                  display=rx.breakpoints(initial="none", sm="flex"), aria_label="Main navigation"),
        rx.spacer(),
        menu_button(links, area),
        account_controls(),
        align="center", spacing="4", padding_x=rx.breakpoints(initial="1em", sm="2em"), padding_y="1em",
        width="100%", border_bottom="1px solid var(--gray-a5)",
    )


def refused_box() -> rx.Component:
    """A page this user may not open says so and links home (issue 16)."""
    return rx.callout(rx.vstack(rx.text(SessionState.refused, data_testid="refused"),
                                rx.link("Back to the home page", href=routes.HOME)),
                      color_scheme="amber", role="alert")


def page(*children: rx.Component, area: str = VENDOR) -> rx.Component:
    """A page of `area`: PUBLIC pages (customers) get the customer navigation only; a page
    the signed-in user may not open shows why instead of its body."""
    return rx.box(
        rx.script(src="/countdown.js"),
        rx.el.nav(navbar(area), style={"width": "100%"}),
        rx.container(rx.cond(SessionState.refused != "", refused_box(),
                             rx.vstack(*children, spacing="5", width="100%")), size="4",
                     padding_y=rx.breakpoints(initial="1em", sm="2em"),
                     padding_x=rx.breakpoints(initial="0.75em", sm="1.5em")),
        width="100%",
    )


def public_page(*children: rx.Component) -> rx.Component:
    """A page for customers and visitors: no vendor or staff links."""
    return page(*children, area=PUBLIC)
