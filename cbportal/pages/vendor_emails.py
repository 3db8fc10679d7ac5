"""Email samples for vendors (issue 17 point 4): every email cbportal sends, rendered from
one example, each in a sandboxed frame, and the whole set as one PDF."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import page
from cbportal.state.vendor_emails import SampleRow, VendorEmailsState
from cbportal.state.vendor_emails import VendorEmailsState as S


def sample(row: SampleRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.badge(row["group"], variant="soft"), rx.text(row["label"], weight="bold"), wrap="wrap",
                  align="center"),
        rx.text("Subject: ", row["subject"], size="2"),
        rx.text("Sent to: ", row["to"], size="2", color_scheme="gray"),
        rx.el.iframe(src_doc=row["html"], title=row["label"], sandbox="",
                     style={"width": "100%", "height": "420px", "border": "1px solid var(--gray-a5)"}),
        width="100%"), width="100%", data_testid="email-sample")


@registered.page(routes.VENDOR_EMAILS, "Email samples", VendorEmailsState.load)
def vendor_emails() -> rx.Component:
    return page(
        rx.hstack(rx.heading("Email samples", size="7"), rx.spacer(),
                  rx.button("Download all as PDF", on_click=S.download_pdf, variant="soft"),
                  width="100%", align="center", wrap="wrap"),
        rx.text("Every email cbportal sends to your customers and to you, rendered from one example order: "
                "ticket emails (sent to both of you), billing emails, the invitation and the answer to an "
                "unreadable email.", color_scheme="gray"),
        rx.cond(S.loaded, rx.foreach(S.samples, sample),
                rx.hstack(rx.spinner(), rx.text("Rendering the samples…"))),
    )


def email_samples_link() -> rx.Component:
    """A one-line link to this page, for other pages to include."""
    return rx.link("See every email your customers receive (samples, PDF)", href=routes.VENDOR_EMAILS, size="2")
