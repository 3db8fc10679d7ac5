"""Reports: subscriptions by status, MRR, rebill revenue vs refunds, saved vs processed."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.affiliate_subscriptions import referred_section
from cbportal.components.layout import page
from cbportal.components.tables import wide
from cbportal.state.reports import MonthRow, ReportsState
from cbportal.state.reports import ReportsState as S
from cbportal.state.subscriber_list import SubRow, SubscriptionListState
from cbportal.state.subscriber_list import SubscriptionListState as L

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


def sub_row(r: SubRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(r["receipt"], href=routes.vendor_order(r["receipt"]))),
        rx.table.cell(r["product"]), rx.table.cell(r["customer"]), rx.table.cell(rx.badge(r["status"])),
        rx.table.cell(r["next_date"]), rx.table.cell(r["next_amount"]), rx.table.cell(r["left"]),
        data_testid="subscription-row")


def subscriptions_list() -> rx.Component:
    """The seed's Subscriptions report: who is subscribed, to what, and when they pay next."""
    return rx.card(rx.vstack(
        rx.hstack(rx.heading("Subscriptions", size="5"), rx.spacer(),
                  rx.button("Download subscriptions CSV", on_click=L.download_list, variant="soft"),
                  width="100%", align="center"),
        rx.form(rx.hstack(
            rx.vstack(rx.text("Status", size="2", weight="medium"),
                      rx.select(["any", "active", "dunning", "canceled", "completed"], name="status",
                                default_value="any", aria_label="Status")),
            rx.vstack(rx.text("Product SKU", size="2", weight="medium"),
                      rx.input(name="sku", placeholder="any", aria_label="Product SKU", width="10em")),
            rx.vstack(rx.text("Next bill from", size="2", weight="medium"),
                      rx.input(name="bill_from", type="date", aria_label="Next bill from")),
            rx.vstack(rx.text("to", size="2", weight="medium"),
                      rx.input(name="bill_to", type="date", aria_label="Next bill to")),
            rx.button("Show", type="submit"),
            rx.button("Clear", type="reset", variant="soft", on_click=L.clear_list),
            align="end", wrap="wrap", spacing="3"), on_submit=L.filter_list, reset_on_submit=False),
        rx.cond(L.sub_error != "", rx.callout(L.sub_error, color_scheme="red", role="alert")),
        rx.text(L.sub_total, rx.cond(L.sub_total == 1, " subscription", " subscriptions"), size="2",
                color_scheme="gray", data_testid="subscription-total"),
        rx.box(rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
            "Receipt", "Product", "Customer", "Status", "Next bill", "Amount", "Payments left")])),
            rx.table.body(rx.foreach(L.sub_rows, sub_row)), width="100%"), overflow_x="auto", width="100%"),
        rx.cond(L.sub_pages > 1, rx.hstack(
            rx.button("Previous", size="1", variant="soft", on_click=L.list_page(-1), disabled=L.sub_page <= 1),
            rx.text("Page ", L.sub_page, " of ", L.sub_pages, size="2"),
            rx.button("Next", size="1", variant="soft", on_click=L.list_page(1), disabled=L.sub_page >= L.sub_pages),
            align="center")),
        spacing="3", width="100%"), width="100%")


@registered.page(routes.VENDOR_REPORTS, "Reports", [ReportsState.load, SubscriptionListState.load_list],
                 nav=("Reports",))
def reports_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.heading("Reports", size="7"), rx.spacer(),
            rx.select.root(rx.select.trigger(aria_label="Account"),
                           rx.select.content(rx.select.item("All linked accounts", value="all"),
                                             rx.foreach(S.nicknames, lambda n: rx.select.item(n, value=n))),
                           value=rx.cond(S.account == "", "all", S.account),
                           on_change=[S.pick_account, L.pick_list_account]),
            rx.button("Download monthly CSV", on_click=S.download_csv, variant="soft"),
            width="100%", align="center", spacing="3", wrap="wrap"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(
            S.loaded,
            rx.cond(S.error == "", rx.vstack(
                rx.text("Monthly recurring revenue now: ", rx.text.strong(S.mrr_now, data_testid="mrr-now"),
                        ". Months are calendar months in ", S.zone, "."),
                charts(),
                wide(rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Month", "MRR at month end", "Rebill revenue", "Refunds", "Saved", "Processed")])),
                    rx.table.body(rx.foreach(S.months, month_row)), width="100%", data_testid="monthly-table")),
                subscriptions_list(),
                referred_section(),  # issue 17: subscriptions this account referred as affiliate
                spacing="4", width="100%")),
            rx.hstack(rx.spinner(), rx.text("Computing your reports…"))),
    )
