"""The staff confirm dialog: a button opening a dialog that says what will happen and asks
for a reason (kept in the audit log or emailed), with the page's error shown inside it.
Used by the product review (reject) and the stuck refunds (mark refunded) on the staff home."""

import reflex as rx


def reason_dialog(*, trigger: str, color: str, title, description: str, hidden: tuple[str, object],
                  reason_label: str, placeholder: str, cancel: str, submit: str, error, on_submit,
                  question: str = "") -> rx.Component:
    """`hidden` is the (name, value) sent with the reason, e.g. ("sku", row["sku"])."""
    name, value = hidden
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(trigger, size="1", variant="soft", color_scheme=color)),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.form(rx.vstack(
                rx.el.input(type="hidden", name=name, value=value),
                rx.text(question, size="2", weight="medium") if question else rx.fragment(),
                rx.text_area(name="reason", aria_label=reason_label, width="100%", placeholder=placeholder),
                rx.cond(error != "", rx.text(error, color_scheme="red", size="2", role="alert")),
                rx.hstack(rx.alert_dialog.cancel(rx.button(cancel, variant="soft", color_scheme="gray",
                                                           type="button")),
                          rx.button(submit, type="submit", color_scheme=color),
                          spacing="3", justify="end", wrap="wrap"),
                spacing="3", width="100%", margin_top="1em"),
                on_submit=on_submit, reset_on_submit=False)))
