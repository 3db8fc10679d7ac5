"""Card update page (signed link from billing emails)."""

import reflex as rx

from cbportal.components.layout import page
from cbportal.pages.checkout import field
from cbportal.state.card import CardState as S


def card_page() -> rx.Component:
    return page(
        rx.heading("Update your card", size="7"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.notice != "", rx.callout(S.notice, color_scheme="green", role="status")),
        rx.cond(S.valid, rx.card(rx.form(rx.vstack(
            rx.text(S.title, " · order ", rx.code(S.receipt), " · subscription ", rx.badge(S.status)),
            rx.text("A subscription waiting on a failed payment is charged at once; later payments follow "
                    "from today.", color_scheme="gray", size="2"),
            field("Card number", "card_number", placeholder="4242 4242 4242 4242"),
            rx.hstack(field("Month", "exp_month"), field("Year", "exp_year"), field("CVC", "cvc"), width="100%"),
            rx.button("Save card", type="submit"), spacing="3", width="100%"), on_submit=S.save), max_width="520px")),
    )
