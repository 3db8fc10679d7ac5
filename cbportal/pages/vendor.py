"""Vendor dashboard home: the user's accounts and their figures."""

import reflex as rx

from cbportal.components.layout import page
from cbportal.state.vendor import AccountRow, VendorHomeState


def account_card(row: AccountRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.heading(row["nickname"], size="5"), rx.badge(row["time_zone"]), align="center"),
        rx.grid(
            rx.vstack(rx.text("Open tickets", size="1", color_scheme="gray"), rx.heading(row["open_tickets"], size="6")),
            rx.vstack(rx.text("Processing within 24 h", size="1", color_scheme="gray"),
                      rx.heading(row["due_24h"], size="6")),
            rx.vstack(rx.text("Active subscriptions", size="1", color_scheme="gray"),
                      rx.heading(row["active_subscriptions"], size="6")),
            rx.vstack(rx.text("Orders, last 30 days", size="1", color_scheme="gray"),
                      rx.heading(row["orders_30d"], size="6")),
            columns="4", spacing="4", width="100%"),
        spacing="3"), width="100%")


def vendor() -> rx.Component:
    return page(
        rx.heading("Vendor dashboard", size="7"),
        rx.cond(
            VendorHomeState.loaded,
            rx.vstack(
                rx.text("Your roles: ", rx.foreach(VendorHomeState.roles, lambda r: rx.badge(r, margin_right="0.3em"))),
                rx.cond(VendorHomeState.accounts.length() > 0,
                        rx.foreach(VendorHomeState.accounts, account_card),
                        rx.text("No vendor accounts are linked to you yet.")),
                spacing="4", width="100%"),
            rx.hstack(rx.spinner(), rx.text("Loading your accounts…")),
        ),
    )
