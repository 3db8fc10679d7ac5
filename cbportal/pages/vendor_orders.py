"""Vendor transactions: search, the transaction window and the Manage Subscription modal."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.forms import field
from cbportal.components.layout import page
from cbportal.state.manage_subscription import ManageSubscriptionState as S  # the page's vars, all three states
from cbportal.state.order_window import BillLine, OrderWindowState, TicketLine
from cbportal.state.vendor_orders import OrderRow, VendorOrdersState


def _table(headers: list[str], body) -> rx.Component:
    return rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                         rx.table.body(body), width="100%", size="1")


def small(label: str, name: str, width: str, **props) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium", color_scheme="gray"),
                     rx.input(name=name, aria_label=label, size="1", width=width, **props), spacing="1")


def search_form() -> rx.Component:
    """One compact bar: a few narrow fields and the browser's own date pickers."""
    return rx.form(rx.hstack(
        small("Receipt", "q_receipt", "8em"), small("Customer email", "q_email", "13em"),
        small("Product SKU", "q_sku", "9em"), small("From", "q_date_from", "9.5em", type="date"),
        small("To", "q_date_to", "9.5em", type="date"),
        rx.button("Search", type="submit", size="1"), rx.button("Clear", type="reset", size="1", variant="ghost"),
        align="end", spacing="2", wrap="wrap"),
        on_submit=S.search, reset_on_submit=False, width="100%")


def order_row(r: OrderRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.button(r["receipt"], variant="ghost", on_click=S.open_order(r["receipt"]),
                                aria_label="Open order " + r["receipt"])),
        rx.table.cell(r["created"]), rx.table.cell(r["account"]), rx.table.cell(r["product"]),
        rx.table.cell(r["customer"]), rx.table.cell(rx.badge(r["status"])),
        rx.table.cell(rx.cond(r["subscription"] != "", rx.badge(r["subscription"], variant="outline"))))


def bill_row(b: BillLine) -> rx.Component:
    return rx.table.row(*[rx.table.cell(b[k]) for k in ("seq", "kind", "date", "amount", "net", "commission",
                                                         "earnings", "status")])


def ticket_row(t: TicketLine) -> rx.Component:
    return rx.table.row(rx.table.cell(rx.link("#" + t["id"], href=routes.vendor_ticket(t["id"]))),
                        rx.table.cell(t["type"]), rx.table.cell(t["status"]), rx.table.cell(t["opened"]))


def product_tab() -> rx.Component:
    return rx.form(rx.vstack(
        rx.text("The new product's price and frequency apply from the next bill; the number of payments left "
                "stays; a trial of the new product is skipped.", size="2", color_scheme="gray"),
        rx.cond(S.choices.length() > 0,
                rx.select.root(rx.select.trigger(placeholder="Choose the new product", aria_label="New product"),
                               rx.select.content(rx.foreach(S.choices, lambda c: rx.select.item(c["label"],
                                                                                                 value=c["sku"]))),
                               value=S.chosen_sku, on_change=S.choose_product),
                rx.text("No compatible product: it must be an approved recurring product of this account, in the "
                        "same currency and of the same kind.", color_scheme="gray")),
        rx.cond(S.offers["refund_optional"],
                rx.el.label(rx.hstack(rx.checkbox(checked=S.refund_declined, on_change=S.set_refund_declined),
                                      rx.text("No prorated refund (physical products only)")))),
        field("New next bill date (optional, YYYY-MM-DD)", "next_bill_date"),
        rx.cond(S.preview != "", rx.callout(S.preview, role="note", color_scheme="blue")),
        rx.button("Save product change", type="submit", disabled=S.chosen_sku == ""),
        spacing="3", width="100%"), on_submit=S.save_product, reset_on_submit=False)


def bill_date_tab() -> rx.Component:
    return rx.form(rx.vstack(
        rx.text("A future date; later bills follow from it.", size="2", color_scheme="gray"),
        field("New bill date (YYYY-MM-DD)", "date"), rx.button("Change bill date", type="submit"),
        spacing="3"), on_submit=S.save_bill_date, reset_on_submit=False)


def extend_tab() -> rx.Component:
    return rx.form(rx.vstack(
        rx.text("Adds billing periods to a subscription with a fixed number of payments.", size="2",
                color_scheme="gray"),
        field("Billing periods to add", "periods", default_value="1"), rx.button("Extend", type="submit"),
        spacing="3"), on_submit=S.save_extend, reset_on_submit=False)


def reinstate_tab() -> rx.Component:
    return rx.vstack(
        rx.text("Resumes a subscription canceled within the past 60 days. Before its next scheduled payment that "
                "date stands; otherwise the next payment is tomorrow.", size="2", color_scheme="gray"),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button("Reinstate subscription")),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Reinstate this subscription?"),
                rx.alert_dialog.description("The customer will be billed again on the schedule shown."),
                rx.hstack(rx.alert_dialog.cancel(rx.button("Keep canceled", variant="soft")),
                          rx.alert_dialog.action(rx.button("Reinstate", on_click=S.reinstate)), justify="end"))),
        spacing="3")


def shipping_tab() -> rx.Component:
    def f(label, name):
        return rx.vstack(rx.el.label(label, html_for="ship_" + name, style={"fontWeight": 500}),
                         rx.input(id="ship_" + name, name=name, default_value=S.shipping[name], width="100%"),
                         spacing="1", width="100%")
    return rx.form(rx.vstack(
        f("Name", "name"), f("Address", "line1"), f("Address line 2", "line2"),
        rx.hstack(f("City", "city"), f("Region", "region"), f("Postal code", "postal_code"), f("Country", "country"),
                  width="100%"),
        rx.button("Save shipping address", type="submit"), spacing="3", width="100%"),
        on_submit=S.save_shipping, reset_on_submit=False)


def manage_modal() -> rx.Component:
    tabs = [("product", "Change product", "change_product", product_tab()),
            ("date", "Bill date", "change_bill_date", bill_date_tab()),
            ("extend", "Extend", "extend", extend_tab()),
            ("reinstate", "Reinstate", "reinstate", reinstate_tab()),
            ("shipping", "Shipping", "shipping", shipping_tab())]
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title("Manage subscription ", S.receipt),
        rx.dialog.description(S.subscription, size="2"),
        rx.tabs.root(
            rx.tabs.list(*[rx.cond(S.offers[key], rx.tabs.trigger(label, value=value))
                           for value, label, key, _ in tabs]),
            *[rx.tabs.content(rx.cond(S.offers[key], rx.box(body, padding_top="1em")), value=value)
              for value, _, key, body in tabs],
            value=S.tab, on_change=S.set_tab),
        rx.cond(S.modal_error != "", rx.callout(S.modal_error, color_scheme="red", role="alert", margin_top="1em")),
        rx.cond(S.modal_notice != "", rx.callout(S.modal_notice, color_scheme="green", role="status",
                                                 margin_top="1em")),
        rx.hstack(rx.dialog.close(rx.button("Close", variant="soft")), justify="end", margin_top="1em"),
        max_width="640px"), open=S.manage_open, on_open_change=S.set_manage_open)


def order_window() -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.heading("Order ", S.receipt, size="5"), rx.spacer(),
                  rx.cond(S.can_manage, rx.button("Manage subscription", on_click=S.open_manage))),
        rx.text(S.summary, size="2"),
        rx.cond(S.subscription != "", rx.text("Subscription: ", S.subscription, size="2")),
        _table(["#", "Kind", "Date", "Amount", "Net", "Commission", "Your earnings", "Status"],
               rx.foreach(S.bills, bill_row)),
        rx.cond(S.ticket_lines.length() > 0,
                _table(["Ticket", "Type", "Status", "Opened"], rx.foreach(S.ticket_lines, ticket_row)),
                rx.text("No tickets on this order.", size="2", color_scheme="gray")),
        rx.link("Create a refund or cancel ticket", href=routes.vendor_tickets_for(S.receipt)),
        spacing="3", width="100%"), width="100%")


@registered.page(routes.VENDOR_ORDERS, "Transactions", [VendorOrdersState.load, OrderWindowState.open_linked],
                 nav=("Transactions",))
def vendor_orders() -> rx.Component:
    return page(
        rx.hstack(rx.heading("Transactions", size="7"), rx.spacer(),
                  rx.button("Export CSV", variant="soft", on_click=S.export_csv)),
        search_form(),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(S.receipt != "", order_window()),
        rx.cond(S.loaded,
                rx.cond(S.rows.length() > 0,
                        rx.vstack(
                            _table(["Receipt", "Bought (account time)", "Account", "Product", "Customer",
                                    "Status", "Subscription"],
                                   rx.foreach(S.rows, order_row)),
                            rx.hstack(rx.button("Previous", variant="soft", on_click=S.previous_page,
                                                disabled=S.page <= 1),
                                      rx.text("Page ", S.page, " of ", S.pages, " · ", S.total,
                                              rx.cond(S.total == 1, " order", " orders"), size="2"),
                                      rx.button("Next", variant="soft", on_click=S.next_page,
                                                disabled=S.page >= S.pages), align="center"),
                            width="100%"),
                        rx.text("No orders match.", color_scheme="gray")),
                rx.hstack(rx.spinner(), rx.text("Loading…"))),
        manage_modal(),
    )
