"""The payment area shared by checkout and the card page: a box that Stripe.js (or the
sandbox stand-in) fills with its card inputs, and the IBAN input for direct debit.
Neither has a name or id, so a form submission never carries what is typed there;
`assets/cbp_pay.js` reads them in the browser only (docs/payments.md)."""

import reflex as rx


def payment_area(js_url: rx.Var[str], js_key: rx.Var[str], *children: rx.Component) -> rx.Component:
    return rx.el.div(rx.script(src="/cbp_pay.js"), *children,
                     custom_attrs={"data-cbp-pay": "", "data-js": js_url, "data-key": js_key},
                     style={"width": "100%"})


def card_box() -> rx.Component:
    return rx.vstack(
        rx.text("Card", weight="medium"),
        rx.el.div(custom_attrs={"data-cbp-card": ""}, role="group", aria_label="Card details",
                  style={"minHeight": "2.5em", "width": "100%"}),
        spacing="1", width="100%")


def iban_box(vendor: rx.Var[str]) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text("IBAN", weight="medium"),
                    rx.el.input(custom_attrs={"data-cbp-iban": ""}, placeholder="DE89 3704 0044 0532 0130 00",
                                autocomplete="off", spellcheck="false",
                                style={"width": "100%", "padding": "6px 8px", "border": "1px solid var(--gray-a7)",
                                       "borderRadius": "6px", "font": "inherit"}),
                    style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"}),
        rx.text("By paying, you authorise ", vendor, " and our payment provider to debit your account by SEPA "
                "direct debit for this payment and the later ones in the terms. You may ask your bank to refund a "
                "debit within 8 weeks.", size="1", color_scheme="gray"),
        spacing="1", width="100%")
