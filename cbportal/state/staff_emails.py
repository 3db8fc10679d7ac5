"""Staff email gallery: a rendered sample of every ticket email kind, each from a ticket in
the state that email is sent in (services/staff/samples.py)."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader
from cbportal.services.staff import samples as staff_samples
from cbportal.state.base import PageState


class EmailSample(TypedDict):
    kind: str
    subject: str
    html: str
    source: str


class StaffEmailsState(PageState):
    samples: list[EmailSample] = []
    loaded: bool = False

    @rx.event
    def load(self):
        actor, leave = self._enter(routes.STAFF_EMAILS)
        if actor is None:
            return leave
        with reader(get_engine()) as session:
            self.samples = [EmailSample(kind=s["kind"], subject=s["subject"], html=s["html"], source=s["source"])
                            for s in staff_samples.samples(session, actor=actor)]
        self.loaded = True
