"""Form widgets the pages share: a labelled field with its own error line (aria-invalid,
aria-describedby), used by checkout and the vendor forms."""

import reflex as rx


def field_error(name: str, error) -> rx.Component:
    return rx.cond(error != "", rx.text(error, id=f"{name}-error", color_scheme="red", size="2"))


def field(label: str, name: str, error="", on_clear=None, **props) -> rx.Component:
    """A labelled input. With `error` a state var, the field is marked invalid while it is
    set and `on_clear` (when given) runs on leaving the field."""
    invalid = {"aria_invalid": rx.cond(error != "", "true", "false"), "aria_describedby": f"{name}-error",
               **({"on_blur": on_clear} if on_clear is not None else {})} if isinstance(error, rx.Var) else {}
    return rx.vstack(rx.el.label(label, html_for=name, style={"fontWeight": 500}),
                     rx.input(id=name, name=name, width="100%", **invalid, **props),
                     field_error(name, error) if isinstance(error, rx.Var) else rx.fragment(),
                     spacing="1", width="100%")
