"""Email samples page (issue 17 point 4): every email kind rendered from one example
(services/delivery/email_samples.py), for signed-in vendor users and staff, and the PDF of them all."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.services.delivery import email_samples
from cbportal.state.base import PageState


class SampleRow(TypedDict):
    kind: str
    label: str
    group: str
    subject: str
    to: str
    html: str


class VendorEmailsState(PageState):
    samples: list[SampleRow] = []
    loaded: bool = False

    @rx.event
    def load(self):
        actor, leave = self._or_sign_in(next=routes.VENDOR_EMAILS)
        if actor is None:
            return leave
        self.samples = [SampleRow(kind=s["kind"], label=s["label"], group=s["group"], subject=s["subject"],
                                  to=", ".join(s["to"]), html=s["html"]) for s in email_samples.samples()]
        self.loaded = True

    @rx.event
    def download_pdf(self):
        actor, leave = self._or_sign_in(next=routes.VENDOR_EMAILS)
        if actor is None:
            return leave
        return rx.download(data=email_samples.pdf(), filename="cbportal-email-samples.pdf")
