"""The live vendor dashboard: account figures, saved sales, and the open tickets with
countdowns, filters, search and an account switcher."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.countdown import countdown
from cbportal.components.layout import page
from cbportal.components.tables import ticket_type_words, wide
from cbportal.state.vendor import AccountRow, BoardRow, VendorHomeState
from cbportal.state.vendor import VendorHomeState as S

TYPES = [("all", "All types"), ("refund", "Refund"), ("cancel", "Cancel"), ("tech_support", "Tech support")]
OPENERS = [("all", "Anyone"), ("customer", "Customer"), ("vendor", "Vendor"), ("clerk", "Clerk"),
           ("staff", "Staff"), ("api", "API")]
DUE = [("all", "Any time"), ("1", "Within 1 hour"), ("6", "Within 6 hours"), ("24", "Within 24 hours"),
       ("72", "Within 3 days")]


def figure(label: str, value, hint: str = "") -> rx.Component:
    parts = [rx.text(label, size="1", color_scheme="gray"), rx.heading(value, size="6")]
    if hint:
        parts.append(rx.text(hint, size="1", color_scheme="gray"))
    return rx.vstack(*parts, spacing="1")


def account_card(row: AccountRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.heading(row["nickname"], size="5"), rx.badge(row["time_zone"]), align="center"),
        rx.grid(figure("Open tickets", row["open_tickets"]), figure("Processing within 24 h", row["due_24h"]),
                figure("Active subscriptions", row["active_subscriptions"]),
                figure("Orders, last 30 days", row["orders_30d"]), columns="4", spacing="4", width="100%"),
        spacing="3"), width="100%")


def choice(options, value, on_change, label: str, custom=None) -> rx.Component:
    """A filter dropdown; `custom` is an extra item for a value typed elsewhere (due within N hours)."""
    return rx.select.root(rx.select.trigger(aria_label=label),
                          rx.select.content(*[rx.select.item(text, value=v) for v, text in options],
                                            *([custom] if custom is not None else [])),
                          value=rx.cond(value == "", "all", value), on_change=on_change)


PRESET_DUE = [v for v, _ in DUE]


def switcher() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Account"),
        rx.select.content(rx.select.item("All linked accounts", value="all"),
                          rx.foreach(S.nicknames, lambda n: rx.select.item(n, value=n))),
        value=rx.cond(S.account == "", "all", S.account), on_change=S.pick_account)


def saved_sales() -> rx.Component:
    return rx.card(rx.hstack(
        figure("Saved sales, 30 days", S.saved, "closed or converted refund/cancel requests"),
        figure("Converted to support", S.converted),
        figure("Processed", S.processed, "refunds and cancels that went through"),
        rx.vstack(rx.text("Save rate", size="1", color_scheme="gray"),
                  rx.heading(S.saved_rate.to_string() + " %", size="6"),
                  rx.progress(value=S.saved_rate, width="10em", aria_label="Save rate"), spacing="1"),
        spacing="6", wrap="wrap"), width="100%", data_testid="saved-sales")


NEW_ROW_CSS = ("@keyframes cbp-new-row { from { background-color: var(--amber-5); } "
               "to { background-color: transparent; } } "
               ".cbp-new-row { animation: cbp-new-row 6s ease-out 1; }")


def ticket_row(r: BoardRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("#", r["id"], href=routes.vendor_ticket(r["id"]))),
        rx.table.cell(r["account"]), rx.table.cell(rx.code(r["receipt"])),
        rx.table.cell(rx.vstack(rx.text(r["name"], size="2"), rx.text(r["email"], size="1", color_scheme="gray"),
                                spacing="0")),
        rx.table.cell(rx.badge(ticket_type_words(r["type"]),
                               color_scheme=rx.match(r["type"], ("refund", "red"), ("cancel", "amber"), "blue")),
                      rx.cond(r["escalated"], rx.badge("escalated", color_scheme="purple", margin_left="0.3em"))),
        rx.table.cell(r["opened_by"]), rx.table.cell(r["opened_at"]),
        rx.table.cell(rx.cond(r["process_at"] != "", countdown(r["process_at"]),
                              rx.text("waits on " + r["waiting_on"], color_scheme="gray", size="2"))),
        data_testid="ticket-row", class_name=rx.cond(r["is_new"], "cbp-new-row", ""),
        data_new=rx.cond(r["is_new"], "yes", "no"),
    )


def board() -> rx.Component:
    return rx.vstack(
        saved_sales(),
        rx.hstack(
            choice(TYPES, S.type_filter, S.pick_type, "Ticket type"),
            choice(OPENERS, S.opener_filter, S.pick_opener, "Opened by"),
            choice(DUE, S.due_filter, S.pick_due, "Due",
                   custom=rx.cond((S.due_filter != "") & ~rx.Var.create(PRESET_DUE).contains(S.due_filter),
                                  rx.select.item("Within " + S.due_filter + " hours", value=S.due_filter),
                                  rx.fragment())),
            rx.form(rx.input(name="hours", type="number", min=1, max=8760, placeholder="or within … hours (Enter)",
                             aria_label="Due within hours", default_value=S.due_filter, key="due-" + S.due_filter,
                             width="13em"),
                    on_submit=S.due_hours, reset_on_submit=False, display="inline-flex"),
            rx.form(rx.hstack(rx.input(name="search", placeholder="Receipt, or any part of an email or name",
                                       aria_label="Search", default_value=S.search, key="q-" + S.search,
                                       width="18em"),
                              rx.button("Search", type="submit", variant="soft")),
                    on_submit=S.search_tickets, reset_on_submit=False, display="inline-flex"),
            rx.el.label(rx.hstack(rx.switch(checked=S.mine, on_change=S.set_mine), rx.text("Mine", size="2"),
                                  align="center")),
            rx.cond((S.type_filter != "") | (S.opener_filter != "") | (S.due_filter != "") | (S.search != "")
                    | S.mine, rx.button("Clear filters", variant="ghost", on_click=S.clear_filters)),
            spacing="3", wrap="wrap", align="center"),
        rx.el.style(NEW_ROW_CSS),
        rx.text(S.total, rx.cond(S.total == 1, " open ticket", " open tickets"), rx.cond(S.total > S.rows.length(),
                                                  " (showing the first " + S.rows.length().to_string() + ")", ""),
                size="2", color_scheme="gray", data_testid="ticket-total"),
        rx.cond(S.rows.length() > 0,
                wide(rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Ticket", "Account", "Receipt", "Customer", "Type", "Opened by", "Opened (account time)",
                    "Processes in")])),
                    rx.table.body(rx.foreach(S.rows, ticket_row)), width="100%", size="1")),
                rx.callout("No open tickets match. New ones appear here as soon as they are opened.",
                           color_scheme="gray")),
        rx.cond(S.total > S.rows.length(), rx.button("Show 50 more", on_click=S.show_more, variant="soft")),
        spacing="3", width="100%")


@registered.page(routes.VENDOR, "Vendor dashboard", VendorHomeState.load, nav=("Vendor dashboard",))
def vendor() -> rx.Component:
    return page(
        rx.hstack(
            rx.heading("Vendor dashboard", size="7"), rx.spacer(),
            rx.cond(S.live, rx.badge("● Live", color_scheme="green", data_testid="live-badge"),
                    rx.badge("Not live", color_scheme="gray")),
            rx.text("Updated ", S.refreshed_at, size="1", color_scheme="gray"),
            switcher(), width="100%", align="center", spacing="3", wrap="wrap"),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.text("Your roles: ", rx.foreach(S.roles, lambda r: rx.badge(r, margin_right="0.3em"))),
                rx.cond(S.accounts.length() > 0, rx.foreach(S.accounts, account_card),
                        rx.text("No vendor accounts are linked to you yet.")),
                rx.cond(S.can_see_tickets, board(),
                        rx.text("Tickets are shown to users with the Manage Tickets role.", color_scheme="gray")),
                spacing="4", width="100%"),
            rx.hstack(rx.spinner(), rx.text("Loading your accounts…")),
        ),
        rx.box(on_unmount=S.stop_watching),
    )
