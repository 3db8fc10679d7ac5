"""Thank you: the page checkout lands on (issue 15 point 1)."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import public_page
from cbportal.components.page import PUBLIC
from cbportal.state.confirmation import ConfirmationState
from cbportal.state.confirmation import ConfirmationState as S


def item(label: str, value) -> rx.Component:
    return rx.flex(rx.text(label, color_scheme="gray", min_width="9em"), rx.text(value, weight="medium"),
                   direction=rx.breakpoints(initial="column", sm="row"), spacing="1", width="100%")


@registered.page(routes.BUY_THANKS, "Thank you", ConfirmationState.load, area=PUBLIC)
def confirmation_page() -> rx.Component:
    return public_page(
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.found, rx.vstack(
            rx.heading("Thank you: your order is placed", size="7"),
            rx.callout(S.paid, color_scheme="green", role="status", width="100%"),
            rx.card(rx.vstack(
                item("Receipt number", rx.code(S.receipt, size="4")),
                item("Product", rx.text(S.title, " from ", S.vendor)),
                rx.cond(S.terms != "", item("Recurring terms", S.terms)),
                item("Next charge", S.next_charge),
                item("Receipt sent to", S.email),
                spacing="3", width="100%"), width="100%"),
            rx.link(rx.button("Go to your order page", size="3"), href=S.order_url),
            rx.card(rx.vstack(
                rx.heading("Need help?", size="4"),
                rx.text(S.help),
                rx.text("Vendor contact: ", S.contact, color_scheme="gray"),
                spacing="2", width="100%"), width="100%"),
            spacing="4", width="100%")),
    )
