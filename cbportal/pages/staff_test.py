"""Staff test page (test mode only): the test clock and "Advance to the next event"."""

import reflex as rx

from cbportal import routes
from cbportal.components import page as registered
from cbportal.components.layout import page
from cbportal.state.staff_test import KindRow, StaffTestState
from cbportal.state.staff_test import StaffTestState as S


def ran_row(row: KindRow) -> rx.Component:
    return rx.table.row(rx.table.cell(row["kind"]), rx.table.cell(row["count"]), data_testid="ran-row")


@registered.page(routes.STAFF_TEST, "Test clock", StaffTestState.load, test_only=True)
def staff_test() -> rx.Component:
    return page(
        rx.heading("Test clock", size="7"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.test_mode,
                rx.vstack(
                    rx.text("The stored test clock moves forward only; moving it runs every timer due on the way, "
                            "in time order.", color_scheme="gray"),
                    rx.hstack(rx.text("Clock: ", rx.text.strong(S.clock_now, data_testid="clock-now")),
                              rx.text("Next due: ", rx.text.strong(S.next_due, data_testid="next-due")), spacing="5"),
                    rx.button("Advance to the next event", on_click=S.advance),
                    rx.cond(S.summary != "", rx.callout(S.summary, role="status")),
                    rx.cond(S.ran.length() > 0, rx.table.root(
                        rx.table.header(rx.table.row(rx.table.column_header_cell("Area"),
                                                     rx.table.column_header_cell("Items run"))),
                        rx.table.body(rx.foreach(S.ran, ran_row)))),
                    spacing="4", width="100%"),
                rx.text("Test mode is off (CBPORTAL_TEST_MODE=0): the clock is the real one.")),
            rx.hstack(rx.spinner(), rx.text("Loading…"))),
    )
