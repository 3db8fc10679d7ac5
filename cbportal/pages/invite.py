"""Choose your password: the page an invitation email links to."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import public_page
from cbportal.components.page import PUBLIC
from cbportal.state.invite import InviteState
from cbportal.state.invite import InviteState as S


@registered.page(routes.INVITE, "Choose your password", InviteState.load, area=PUBLIC)
def invite_page() -> rx.Component:
    return public_page(
        rx.heading("Choose your password", size="7"),
        rx.cond(
            ~S.usable & ~S.done,
            rx.callout(rx.vstack(rx.text(S.error, data_testid="invite-unusable"),
                                 rx.text("Ask the person who invited you to send a new invitation, or ",
                                         rx.link("log in", href=routes.LOGIN), " if you already chose a password.")),
                       color_scheme="amber", role="alert"),
          rx.cond(
            S.done,
            rx.callout(rx.text("Your password is set. ", rx.link("Log in", href=routes.LOGIN), " with ", S.email, "."),
                       color_scheme="green", role="status"),
            rx.card(rx.form(rx.vstack(
                rx.text("You were invited as ", rx.text.strong(S.email), ". The link works once."),
                rx.input(name="password", type="password", placeholder="At least 8 characters",
                         aria_label="New password", auto_complete="new-password", width="100%"),
                rx.input(name="again", type="password", placeholder="The same again", aria_label="Repeat password",
                         auto_complete="new-password", width="100%"),
                rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
                rx.button("Set password", type="submit"), spacing="3", width="100%"),
                on_submit=S.accept, reset_on_submit=False), max_width="28em"))),
    )
