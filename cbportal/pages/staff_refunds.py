"""Staff home section: stuck refunds (RULES R3, issue 11), each with the customer, receipt,
amount, tries, the gateway's last message and its age; "Retry now" and "Mark refunded"
(with a reason) each behind a dialog that says what will happen."""

import reflex as rx

from cbportal import routes
from cbportal.components.confirm import reason_dialog
from cbportal.state.staff_refunds import StaffRefundsState as S
from cbportal.state.staff_refunds import StuckRow


def _retry_dialog(row: StuckRow) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Retry now", size="1", variant="soft")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Try refund of " + row["amount"] + " again now?"),
            rx.alert_dialog.description(
                "The payment processor is asked about this refund at the next worker pass (within a minute). If it "
                "refused the refund, a new refund request is sent. Nothing is marked refunded until the processor "
                "confirms it; the customer and vendor are emailed only then."),
            rx.hstack(rx.alert_dialog.cancel(rx.button("Not now", variant="soft", color_scheme="gray")),
                      rx.alert_dialog.action(rx.button("Retry the refund", on_click=S.retry(row["attempt_id"]))),
                      spacing="3", justify="end", margin_top="1em", wrap="wrap")))


def _mark_dialog(row: StuckRow) -> rx.Component:
    return reason_dialog(
        trigger="Mark refunded", color="amber", title="Mark " + row["amount"] + " as refunded by hand?",
        description="Only when the money already went back to the customer outside the payment processor (a bank "
                    "transfer, for instance). The refund is recorded as done: the ticket closes, the customer and "
                    "the vendor get the refund confirmation and the vendor's site is told of the refund. If the "
                    "processor also completes it later, the customer is paid twice: check its dashboard first.",
        hidden=("attempt_id", row["attempt_id"].to_string()),
        question="How was the money returned? (kept in the audit log)", reason_label="How the money was returned",
        placeholder="e.g. Bank transfer on 3 March, reference 4471", cancel="Cancel", submit="Mark refunded",
        error=S.error, on_submit=S.mark_refunded)


def _row(row: StuckRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.text(row["amount"], weight="bold"), rx.text("to ", row["customer"]),
                  rx.code(row["receipt"]), spacing="2", wrap="wrap", align="center"),
        rx.text("Waiting for ", row["age"], " · ", row["tries"], " tries · ",
                rx.cond(row["ticket_id"] > 0, rx.link("ticket #" + row["ticket_id"].to_string(),
                                                      href=routes.vendor_ticket(row["ticket_id"])),
                        "no ticket"), size="2", color_scheme="gray"),
        rx.text("Last answer from the payment processor: ", row["message"], size="2"),
        rx.hstack(_retry_dialog(row), _mark_dialog(row), spacing="3", wrap="wrap"),
        spacing="2", width="100%"), width="100%", data_testid="stuck-refund")


def stuck_refunds() -> rx.Component:
    return rx.vstack(
        rx.heading("Stuck refunds", size="4"),
        rx.text("Refunds the payment processor has not completed 3 days after they began.", color_scheme="gray",
                size="2"),
        rx.cond(S.notice != "", rx.callout(S.notice, role="status")),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red")),
        rx.cond(S.stuck.length() > 0, rx.vstack(rx.foreach(S.stuck, _row), spacing="3", width="100%"),
                rx.text("No refund is stuck: every refund went through or is still within its 3 days.",
                        color_scheme="gray")),
        spacing="3", width="100%")
