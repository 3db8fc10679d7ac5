"""Login for vendor users and platform staff."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import public_page
from cbportal.components.page import PUBLIC
from cbportal.state.login import LoginState


@registered.page(routes.LOGIN, "Log in", area=PUBLIC)
def login() -> rx.Component:
    return public_page(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Log in", size="6"),
                    rx.text("Vendors, clerks and platform staff. Customers need no account: use the portal.",
                            color_scheme="gray"),
                    rx.el.label("Email", html_for="email", style={"fontWeight": 500}),
                    rx.input(id="email", name="email", type="email", placeholder="you@example.com",
                             width="100%", auto_complete="username"),
                    rx.el.label("Password", html_for="password", style={"fontWeight": 500}),
                    rx.input(id="password", name="password", type="password", width="100%",
                             auto_complete="current-password"),
                    rx.cond(LoginState.error != "", rx.callout(LoginState.error, color_scheme="red", role="alert")),
                    rx.button("Log in", type="submit", width="100%"),
                    spacing="3", width="100%",
                ),
                on_submit=LoginState.submit, reset_on_submit=False,
            ),
            max_width="420px", width="100%",
        ),
    )
