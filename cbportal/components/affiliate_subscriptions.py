"""Reports page section: "Subscriptions you referred" (issue 17 point 3). Shown only when
one of the user's accounts is named as affiliate on a subscription; no customer details."""

import reflex as rx

from cbportal.state.affiliate import AffiliateState as A
from cbportal.state.affiliate import ReferredRow


def _row(r: ReferredRow) -> rx.Component:
    return rx.table.row(rx.table.cell(r["receipt"]), rx.table.cell(r["product"]), rx.table.cell(r["vendor"]),
                        rx.table.cell(r["status"]), rx.table.cell(r["next_bill"]),
                        rx.table.cell(rx.text(r["bills"], size="1")), rx.table.cell(r["earned"]))


def referred_section() -> rx.Component:
    return rx.box(
        rx.cond(A.referred_error != "", rx.callout(A.referred_error, color_scheme="red", role="alert")),
        rx.cond(A.referred.length() > 0, rx.vstack(
            rx.heading("Subscriptions you referred", size="5"),
            rx.text("As the affiliate on these orders you earn this commission on each bill; a refunded bill's "
                    "commission is reversed. Earned in all: ", rx.text.strong(A.referred_total), "."),
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Receipt", "Product", "Vendor", "Status", "Next bill", "Commission per bill", "Earned")])),
                rx.table.body(rx.foreach(A.referred, _row)), width="100%"), overflow_x="auto", width="100%"),
            spacing="2", width="100%", data_testid="referred-subscriptions")),
        on_mount=A.load_referred, width="100%")
