"""Staff home section: products awaiting approval (issue 16 point 6), each with every term
and the R1 commission split; approve, or reject with a reason (asked in a dialog) that the
vendor is emailed."""

import reflex as rx

from cbportal.components.confirm import reason_dialog
from cbportal.state.staff_products import ReviewRow
from cbportal.state.staff_products import StaffProductsState as S


def _term(label: str, value) -> rx.Component:
    return rx.cond(value != "", rx.hstack(rx.text(label, weight="medium", min_width="7em"), rx.text(value),
                                          spacing="2", align="start", wrap="wrap"))


def _reject_dialog(row: ReviewRow) -> rx.Component:
    return reason_dialog(
        trigger="Reject", color="red", title="Reject " + row["sku"] + "?",
        description="The product will not go on sale. The vendor is emailed the reason you give here, and may add "
                    "the product again with the terms changed.",
        hidden=("sku", row["sku"]), reason_label="Reason for the vendor", placeholder="What the vendor should change",
        cancel="Keep it waiting", submit="Reject and email the vendor", error=S.error, on_submit=S.reject)


def _row(row: ReviewRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.code(row["sku"]), rx.text(row["title"], weight="bold"), rx.badge(row["account"]),
                  rx.badge(row["kind"], variant="soft"), spacing="2", wrap="wrap", align="center"),
        _term("Price today", row["initial"]), _term("Then", row["rebill"]), _term("Frequency", row["frequency"]),
        _term("Trial", row["trial"]), _term("Payments", row["payments"]), _term("Shipping", row["shipping"]),
        _term("Description", row["description"]),
        rx.text("Commission split", weight="medium", size="2"),
        rx.text(row["initial_split"], size="2"),
        rx.cond(row["rebill_split"] != "", rx.text(row["rebill_split"], size="2")),
        rx.cond(row["affiliate_total"] != "", rx.text(row["affiliate_total"], size="2")),
        rx.hstack(rx.button("Approve", size="1", on_click=S.approve(row["sku"])), _reject_dialog(row),
                  spacing="3", wrap="wrap"),
        spacing="2", width="100%"), width="100%", data_testid="product-review")


def product_review() -> rx.Component:
    return rx.vstack(
        rx.heading("Products awaiting approval", size="4"),
        rx.cond(S.notice != "", rx.callout(S.notice, role="status")),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red")),
        rx.cond(S.queue.length() > 0, rx.vstack(rx.foreach(S.queue, _row), spacing="3", width="100%"),
                rx.text("Nothing waits for approval.", color_scheme="gray")),
        spacing="3", width="100%")
