"""Staff: a gallery of every ticket email, rendered (the seed's sample PDF, live)."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import page
from cbportal.state.staff_emails import EmailSample, StaffEmailsState
from cbportal.state.staff_emails import StaffEmailsState as S


def sample(row: EmailSample) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.badge(row["kind"]), rx.text(row["subject"], weight="medium"), align="center", wrap="wrap"),
        rx.text(row["source"], size="2", color_scheme="gray"),
        rx.cond(row["html"] != "",
                rx.el.iframe(src_doc=row["html"], title=row["kind"], sandbox="",
                             style={"width": "100%", "height": "420px", "border": "1px solid var(--gray-a5)"})),
        width="100%"), width="100%", data_testid="email-sample")


@registered.page(routes.STAFF_EMAILS, "Email samples", StaffEmailsState.load, nav=("Email samples",))
def staff_emails() -> rx.Component:
    return page(
        rx.heading("Email samples", size="7"),
        rx.text("Every ticket email as the vendor receives it, each rendered from a real ticket in the state "
                "that email is sent in.", color_scheme="gray"),
        rx.cond(S.loaded,
                rx.cond(S.samples.length() > 0, rx.foreach(S.samples, sample),
                        rx.text("No ticket yet to render from.", color_scheme="gray")),
                rx.hstack(rx.spinner(), rx.text("Rendering…"))),
    )
