"""Vendor products: the list with status and terms, and the create form."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.forms import field
from cbportal.components.layout import page
from cbportal.state.vendor_products import ProductRow, VendorProductsState
from cbportal.state.vendor_products import VendorProductsState as S


def row(r: ProductRow) -> rx.Component:
    return rx.table.row(rx.table.cell(rx.code(r["sku"])), rx.table.cell(r["account"]), rx.table.cell(r["title"]),
                        rx.table.cell(r["kind"]), rx.table.cell(r["price"], " ", r["terms"]),
                        rx.table.cell(rx.badge(r["status"])),
                        rx.table.cell(rx.hstack(
                            rx.button("Edit description", size="1", variant="soft",
                                      on_click=S.edit_description(r["sku"]),
                                      aria_label="Edit the description of " + r["sku"]),
                            rx.cond(r["status"] == "approved", rx.link("Order form", href=r["buy_url"])),
                            align="center", spacing="3")))


def description_dialog() -> rx.Component:
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title("Description of ", S.desc_sku),
        rx.dialog.description("The terms of an approved product are fixed; its description can change at any time.",
                              size="2"),
        rx.form(rx.vstack(
            rx.text_area(name="description", default_value=S.desc_text, rows="8", width="100%",
                         aria_label="Description", key=S.desc_sku),
            rx.cond(S.desc_error != "", rx.callout(S.desc_error, color_scheme="red", role="alert")),
            rx.hstack(rx.dialog.close(rx.button("Cancel", variant="soft", type="button")),
                      rx.button("Save description", type="submit"), justify="end"),
            spacing="3", width="100%"), on_submit=S.save_description, reset_on_submit=False)),
        open=S.desc_open, on_open_change=S.set_desc_open)


def create_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("New product", size="4"),
        rx.hstack(field("SKU", "sku"), field("Title", "title"), width="100%"),
        rx.hstack(
            rx.vstack(rx.text("Account", weight="medium"), rx.select(S.accounts, name="account", aria_label="Account")),
            rx.vstack(rx.text("Kind", weight="medium"), rx.select(["digital", "physical"], name="kind",
                                                                  default_value="digital", aria_label="Kind")),
            field("Price today ($)", "price", placeholder="29.95"),
            field("Commission %", "commission", placeholder="50"),
            width="100%", align="end"),
        field("Ships to (physical: country codes, comma separated)", "ship_to", placeholder="US, CA"),
        rx.el.label(rx.hstack(rx.switch(checked=S.recurring, on_change=S.set_recurring), rx.text("Recurring"))),
        rx.cond(S.recurring, rx.hstack(
            field("Rebill price ($)", "rebill_price", placeholder="9.95"),
            rx.vstack(rx.text("Every", weight="medium"), rx.hstack(
                rx.input(name="count", default_value="1", width="4em", aria_label="Count"),
                rx.select(["day", "week", "month"], value=S.unit, on_change=S.set_unit, aria_label="Unit"))),
            field("Rebills (empty = until canceled)", "rebills"), field("Trial days", "trial_days"),
            width="100%", align="end")),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.button("Create product", type="submit"), spacing="3", width="100%"),
        on_submit=S.create, reset_on_submit=False), width="100%")


@registered.page(routes.VENDOR_PRODUCTS, "Products", VendorProductsState.load, nav=("Products",))
def vendor_products() -> rx.Component:
    return page(
        rx.heading("Products", size="7"),
        rx.cond(S.loaded,
                rx.cond(S.rows.length() > 0,
                        rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                            "SKU", "Account", "Title", "Kind", "Price", "Status", "")])),
                            rx.table.body(rx.foreach(S.rows, row)), width="100%"),
                        rx.text("No products yet.", color_scheme="gray")),
                rx.hstack(rx.spinner(), rx.text("Loading…"))),
        rx.cond(S.notice != "", rx.callout(S.notice, color_scheme="green", role="status")),
        create_form(),
        description_dialog(),
    )
