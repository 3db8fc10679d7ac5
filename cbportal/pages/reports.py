"""Reports: subscriptions by status, MRR, rebill revenue vs refunds, saved vs processed."""

import reflex as rx

from cbportal.components.affiliate_subscriptions import referred_section
from cbportal.components.layout import page
from cbportal.state.reports import MonthRow, ReportsState as S

COLORS = {"mrr": "var(--indigo-9)", "rebills": "var(--grass-9)", "refunds": "var(--red-9)",
          "saved": "var(--teal-9)", "processed": "var(--amber-9)", "count": "var(--indigo-9)"}


def chart_card(title: str, chart: rx.Component, label: str) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="4"), chart, spacing="2", width="100%"),
                   width="100%", role="figure", aria_label=label)


def month_axes() -> list[rx.Component]:
    return [rx.recharts.cartesian_grid(stroke_dasharray="3 3"), rx.recharts.x_axis(data_key="month"),
            rx.recharts.y_axis(), rx.recharts.graphing_tooltip(), rx.recharts.legend()]


def charts() -> rx.Component:
    return rx.grid(
        chart_card("Subscriptions by status", rx.recharts.bar_chart(
            rx.recharts.bar(data_key="count", fill=COLORS["count"], name="Subscriptions"),
            rx.recharts.x_axis(data_key="status"), rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(), data=S.statuses, height=260, width="100%"), "Subscriptions by status"),
        chart_card("Monthly recurring revenue ($)", rx.recharts.line_chart(
            rx.recharts.line(data_key="mrr", stroke=COLORS["mrr"], name="MRR", type_="monotone"),
            *month_axes(), data=S.months, height=260, width="100%"), "Monthly recurring revenue"),
        chart_card("Rebill revenue and refunds ($)", rx.recharts.bar_chart(
            rx.recharts.bar(data_key="rebills", fill=COLORS["rebills"], name="Rebill revenue"),
            rx.recharts.bar(data_key="refunds", fill=COLORS["refunds"], name="Refunds"),
            *month_axes(), data=S.months, height=260, width="100%"), "Rebill revenue and refunds"),
        chart_card("Refund and cancel requests: saved vs processed", rx.recharts.bar_chart(
            rx.recharts.bar(data_key="saved", fill=COLORS["saved"], name="Saved", stack_id="r"),
            rx.recharts.bar(data_key="processed", fill=COLORS["processed"], name="Processed", stack_id="r"),
            *month_axes(), data=S.months, height=260, width="100%"), "Saved vs processed"),
        columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%")


def month_row(r: MonthRow) -> rx.Component:
    return rx.table.row(rx.table.cell(r["month"]), rx.table.cell(r["mrr_text"]), rx.table.cell(r["rebills_text"]),
                        rx.table.cell(r["refunds_text"]), rx.table.cell(r["saved"]), rx.table.cell(r["processed"]))


def reports_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.heading("Reports", size="7"), rx.spacer(),
            rx.select.root(rx.select.trigger(aria_label="Account"),
                           rx.select.content(rx.select.item("All linked accounts", value="all"),
                                             rx.foreach(S.nicknames, lambda n: rx.select.item(n, value=n))),
                           value=rx.cond(S.account == "", "all", S.account), on_change=S.pick_account),
            rx.button("Download CSV", on_click=S.download_csv, variant="soft"),
            width="100%", align="center", spacing="3"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(
            S.loaded,
            rx.cond(S.error == "", rx.vstack(
                rx.text("Monthly recurring revenue now: ", rx.text.strong(S.mrr_now, data_testid="mrr-now"),
                        ". Months are calendar months in ", S.zone, "."),
                charts(),
                rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Month", "MRR at month end", "Rebill revenue", "Refunds", "Saved", "Processed")])),
                    rx.table.body(rx.foreach(S.months, month_row)), width="100%", data_testid="monthly-table"),
                referred_section(),  # issue 17: subscriptions this account referred as affiliate
                spacing="4", width="100%")),
            rx.hstack(rx.spinner(), rx.text("Computing your reports…"))),
    )
