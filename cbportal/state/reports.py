"""The Reports page: subscription analytics of the user's linked accounts as charts and a
table (Manage Orders, checked in the services on every event), with a CSV download."""

from __future__ import annotations

import csv
import io
from typing import TypedDict

import reflex as rx

from cbportal import routes
from cbportal.db import get_engine, reader
from cbportal.services.accounts.accounts import accounts_of
from cbportal.services.billing import reports
from cbportal.services.core.clock import get_clock
from cbportal.services.core.money import format_cents
from cbportal.state.base import PageState, change_and_refresh


class StatusCount(TypedDict):
    status: str
    count: int


class MonthRow(TypedDict):
    month: str
    mrr: float            # dollars, for the charts only; the table shows the exact cents
    rebills: float
    refunds: float
    saved: int
    processed: int
    mrr_text: str
    rebills_text: str
    refunds_text: str


def _dollars(cents: int) -> float:
    return cents / 100


class ReportsState(PageState):
    loaded: bool = False
    account: str = ""
    nicknames: list[str] = []
    statuses: list[StatusCount] = []
    months: list[MonthRow] = []
    mrr_now: str = ""
    zone: str = "UTC"
    _csv_rows: list[dict] = []

    def _refresh(self, actor) -> None:
        now = get_clock().now()
        with reader(get_engine()) as session:
            counts = reports.subscription_counts(session, actor=actor, account=self.account)
            rows = reports.monthly(session, actor=actor, now=now, account=self.account)
            self.zone = reports.report_zone(session, actor=actor, account=self.account)
            nicknames = [a.nickname for a in accounts_of(session, actor)]
        self.nicknames = nicknames
        self.statuses = [StatusCount(status=s.replace("dunning", "in dunning"), count=n) for s, n in counts.items()]
        self.months = [MonthRow(month=r["month"], mrr=_dollars(r["mrr_cents"]), rebills=_dollars(r["rebill_cents"]),
                                refunds=_dollars(r["refund_cents"]), saved=r["saved"], processed=r["processed"],
                                mrr_text=format_cents(r["mrr_cents"]), rebills_text=format_cents(r["rebill_cents"]),
                                refunds_text=format_cents(r["refund_cents"])) for r in rows]
        self.mrr_now = format_cents(rows[-1]["mrr_cents"]) if rows else "$0.00"
        self._csv_rows = rows

    def _guarded(self, **changes):
        actor, leave = self._enter(routes.VENDOR_REPORTS)
        if actor is None:
            return leave
        if not change_and_refresh(self, actor, self._refresh, **changes):
            self.statuses, self.months, self._csv_rows = [], [], []
        self.loaded = True

    @rx.event
    def load(self):
        return self._guarded(account="")

    @rx.event
    def pick_account(self, value: str):
        return self._guarded(account="" if value == "all" else str(value)[:40])

    @rx.event
    def download_csv(self):
        leave = self._guarded()               # recompute for this user now: never a stale or forged table
        if leave is not None or self.refused or self.error:
            return leave
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["month", "mrr_cents", "rebill_cents", "refund_cents", "saved",
                                                 "processed"])
        writer.writeheader()
        writer.writerows(self._csv_rows)
        return rx.download(data=out.getvalue(), filename="monthly-figures.csv")
