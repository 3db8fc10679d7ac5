"""The Reflex app: pages, the REST API mounted on the backend, the in-process worker."""

import reflex as rx


def index() -> rx.Component:
    return rx.text("cbportal")


app = rx.App()
app.add_page(index, route="/")
