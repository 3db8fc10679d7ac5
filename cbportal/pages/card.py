"""Card update page (signed link from billing emails); the card is entered into Stripe.js
(or the sandbox stand-in), never into this page's form."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import public_page
from cbportal.components.page import PUBLIC
from cbportal.components.payment import card_box, payment_area
from cbportal.state.card import CardState
from cbportal.state.card import CardState as S


@registered.page(routes.PORTAL_CARD, "Update your card", CardState.load, area=PUBLIC)
def card_page() -> rx.Component:
    return public_page(
        rx.heading("Update your card", size="7"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.notice != "", rx.callout(S.notice, color_scheme="green", role="status")),
        rx.cond(S.valid, rx.card(rx.form(rx.vstack(
            rx.text(S.title, " · order ", rx.code(S.receipt), " · subscription ", rx.badge(S.status)),
            rx.text("A subscription waiting on a failed payment is charged at once; later payments follow "
                    "from today.", color_scheme="gray", size="2"),
            payment_area(S.js_url, S.js_key, card_box()),
            rx.button("Save card", type="submit", loading=S.busy), spacing="3", width="100%"),
            on_submit=S.save, reset_on_submit=False), max_width="520px")),
    )
