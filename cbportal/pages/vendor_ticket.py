"""Vendor ticket detail (issue 16 point 2): the thread with internal notes and the status
history, reply with canned replies, one consent control for closing or changing, the
vendor's own 5-minute request canceled without consent, and the customer context panel
with the assignee beside it."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import page
from cbportal.components.ticket_view import messages, ticket_head
from cbportal.state.ticket_desk import TicketDeskState
from cbportal.state.ticket_desk import TicketDeskState as D
from cbportal.state.ticket_rows import ContextRow, DeskThreadRow
from cbportal.state.vendor_ticket import VendorTicketState
from cbportal.state.vendor_ticket import VendorTicketState as S

CONSENT = "The customer agreed to this"


def thread_row(row: DeskThreadRow) -> rx.Component:
    return rx.match(
        row["kind"],
        ("status", rx.hstack(rx.text("•", color_scheme="gray"), rx.text(row["body"], size="2", color_scheme="gray"),
                             rx.text(row["at"], size="1", color_scheme="gray"), align="center", spacing="2",
                             data_testid="status-row", wrap="wrap")),
        ("note", rx.card(rx.vstack(
            rx.hstack(rx.badge("Internal note", color_scheme="amber"), rx.text(row["who"], size="1", weight="medium"),
                      rx.text(row["at"], size="1", color_scheme="gray"), align="center", wrap="wrap"),
            rx.text(row["body"], white_space="pre-wrap"), spacing="1"), width="100%",
            background_color="var(--amber-2)", data_testid="note-row")),
        rx.card(rx.vstack(
            rx.hstack(rx.badge(row["who"]), rx.text(row["at"], size="1", color_scheme="gray"), align="center"),
            rx.text(row["body"], white_space="pre-wrap"), spacing="1"), width="100%", data_testid="comment-row"),
    )


def thread() -> rx.Component:
    return rx.vstack(rx.heading("Conversation and history", size="4"),
                     rx.text("Times in ", S.customer["zone"], ".", size="1", color_scheme="gray"),
                     rx.foreach(S.thread_rows, thread_row), spacing="2", width="100%")


def reply_box() -> rx.Component:
    return rx.form(rx.vstack(
        rx.text_area(name="body", placeholder="Reply to the customer", aria_label="Reply", width="100%", rows="5",
                     default_value=D.reply_draft, key=D.draft_key.to_string()),
        rx.hstack(
            rx.button("Send reply", type="submit"),
            rx.cond(D.canned.length() > 0, rx.menu.root(
                rx.menu.trigger(rx.button("Insert canned text", variant="soft", type="button")),
                rx.menu.content(rx.foreach(D.canned, lambda c: rx.menu.item(c["title"],
                                                                            on_click=D.insert_canned(c["id"])))))),
            rx.button("New canned text", variant="ghost", type="button", on_click=D.edit_canned("")),
            spacing="3", wrap="wrap", align="center"),
        width="100%"), on_submit=S.reply, reset_on_submit=True, width="100%")


def note_box() -> rx.Component:
    return rx.form(rx.vstack(
        rx.text_area(name="note", placeholder="Only your team sees notes; they are never emailed.",
                     aria_label="Internal note", width="100%", rows="2"),
        rx.button("Add internal note", type="submit", variant="soft", color_scheme="amber"), width="100%"),
        on_submit=D.add_note, reset_on_submit=False, key=D.note_key.to_string(), width="100%")


def change_forms() -> rx.Component:
    """One consent control for both actions; the vendor's own request gets a plain cancel."""
    return rx.cond(
        S.own_request,
        rx.card(rx.vstack(
            rx.heading("Your own request", size="4"),
            rx.text("You opened this request; it processes when the countdown ends. If it was a mistake, cancel "
                    "it now: no consent is needed and the customer can't escalate it.", size="2",
                    color_scheme="gray"),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(rx.button("Cancel this request", color_scheme="red", variant="outline")),
                rx.alert_dialog.content(
                    rx.alert_dialog.title("Cancel this request?"),
                    rx.alert_dialog.description("Nothing is refunded or canceled, and the ticket closes. Both "
                                                "parties get an email saying so."),
                    rx.hstack(rx.alert_dialog.cancel(rx.button("Keep it", variant="soft")),
                              rx.alert_dialog.action(rx.button("Cancel the request", color_scheme="red",
                                                               on_click=S.cancel_own_request)),
                              justify="end", spacing="3"))),
            spacing="3"), width="100%"),
        rx.card(rx.vstack(
            rx.heading(rx.cond(S.type == "tech_support", "Close or change", "Save the sale"), size="4"),
            rx.text("You may close or change this ticket only with the customer's consent. A customer who did not "
                    "agree can escalate it to platform staff.", size="2", color_scheme="gray"),
            rx.el.label(rx.hstack(rx.checkbox(checked=S.consent, on_change=S.set_consent), rx.text(CONSENT)),
                        aria_label=CONSENT),
            rx.form(rx.hstack(
                rx.select.root(rx.select.trigger(placeholder="New type", aria_label="New type"),
                               rx.select.content(rx.select.item("Technical support", value="tech_support"),
                                                 rx.select.item("Refund", value="refund"),
                                                 rx.select.item("Cancelation", value="cancel")), name="type"),
                rx.button("Change type", type="submit", variant="soft"),
                rx.button("Close ticket", type="button", color_scheme="red", variant="outline", on_click=S.close({})),
                spacing="3", align="center", wrap="wrap"),
                on_submit=S.change_type, reset_on_submit=True),
            spacing="3", width="100%"), width="100%"))


def context_link(row: ContextRow) -> rx.Component:
    return rx.hstack(rx.link(row["label"], href=row["href"]), rx.text(row["text"], size="1", color_scheme="gray"),
                     spacing="2", wrap="wrap")


def customer_panel() -> rx.Component:
    c = S.customer
    return rx.card(rx.vstack(
        rx.heading("Customer", size="4"),
        rx.text(c["customer_name"], weight="bold", data_testid="customer-name"),
        rx.link(c["customer_email"], href="mailto:" + c["customer_email"], size="2"),
        rx.text(c["sku"], " · ", c["title"], size="2"),
        rx.hstack(rx.text("Order ", size="2"), rx.link(c["receipt"], href=routes.vendor_order(c["receipt"])),
                  rx.badge(c["order_status"]), align="center"),
        rx.cond(c["stake"] != "", rx.text("At stake: ", rx.text.strong(c["stake"]), " (", c["stake_note"], ")",
                                          size="2", data_testid="at-stake")),
        rx.heading("Assigned to", size="2"),
        rx.select.root(rx.select.trigger(aria_label="Assigned to", placeholder="Nobody"),
                       rx.select.content(rx.select.item("Nobody", value="nobody"),
                                         rx.foreach(S.assignees, lambda u: rx.select.item(u["name"], value=u["id"]))),
                       value=rx.cond(S.assignee == "", "nobody", S.assignee), on_change=D.assign),
        rx.heading("Other tickets", size="2"),
        rx.cond(S.other_tickets.length() > 0, rx.foreach(S.other_tickets, context_link),
                rx.text("None.", size="2", color_scheme="gray")),
        rx.heading("Other orders", size="2"),
        rx.cond(S.other_orders.length() > 0, rx.foreach(S.other_orders, context_link),
                rx.text("None.", size="2", color_scheme="gray")),
        rx.heading("Canned replies", size="2"),
        rx.foreach(D.canned, lambda r: rx.hstack(rx.text(r["title"], size="2"), rx.spacer(),
                                                 rx.button("Edit", size="1", variant="ghost",
                                                           on_click=D.edit_canned(r["id"]),
                                                           aria_label="Edit canned text " + r["title"]),
                                                 width="100%", align="center")),
        spacing="2", width="100%"), width="100%", data_testid="customer-panel")


def canned_dialog() -> rx.Component:
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(rx.cond(D.canned_id == "", "New canned text", "Edit canned text")),
        rx.dialog.description("A canned reply, saved for everyone working this account's tickets.", size="2"),
        rx.form(rx.vstack(
            rx.input(name="title", default_value=D.canned_title, placeholder="Title", aria_label="Title",
                     width="100%"),
            rx.text_area(name="body", default_value=D.canned_body, rows="6", aria_label="Canned text",
                         width="100%"),
            rx.cond(D.canned_error != "", rx.callout(D.canned_error, color_scheme="red", role="alert")),
            rx.hstack(rx.dialog.close(rx.button("Cancel", variant="soft", type="button")),
                      rx.button("Save canned text", type="submit"), justify="end"),
            spacing="3", width="100%"), on_submit=D.save_canned, reset_on_submit=False,
            key=D.canned_id + D.canned_error)),
        open=D.canned_open, on_open_change=D.set_canned_open)


@registered.page(routes.VENDOR_TICKET, "Ticket", [VendorTicketState.load, TicketDeskState.load_desk])
def vendor_ticket() -> rx.Component:
    return page(
        rx.hstack(rx.link("← All tickets", href=routes.VENDOR_TICKETS), rx.spacer(),
                  rx.cond(S.live, rx.badge("● Live", color_scheme="green", data_testid="live-badge")), width="100%"),
        messages(S),
        rx.cond(
            S.found,
            rx.grid(
                rx.vstack(
                    ticket_head(S, " · opened by ", S.opened_by),
                    thread(),
                    rx.cond(S.status == "open", rx.vstack(reply_box(), note_box(), change_forms(),
                                                          width="100%", spacing="4"), note_box()),
                    spacing="4", width="100%", min_width="0"),
                customer_panel(),
                columns=rx.breakpoints(initial="1", md="3fr 1fr"), spacing="5", width="100%"),
            rx.cond(S.error == "", rx.hstack(rx.spinner(), rx.text("Loading the ticket…"))),
        ),
        canned_dialog(),
        rx.box(on_unmount=S.stop_watching),
    )
