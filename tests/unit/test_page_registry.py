"""The page registry (issue 13 point 6): every page registers itself with `@registered.page`,
the navbar is built from those registrations, and each navbar link is one the R8 table
(services/accounts/page_access.py) decides the visibility of."""

from cbportal import pages, routes
from cbportal.components.page import NAV_LINKS, REGISTERED
from cbportal.services.accounts import page_access

pages.import_all(test_mode=True)


def test_every_route_is_registered_once():
    registered = [entry.route for entry in REGISTERED]
    declared = {value for name, value in vars(routes).items() if name.isupper()}
    assert sorted(registered) == sorted(declared)


def test_the_test_clock_page_is_test_mode_only():
    assert [entry.route for entry in REGISTERED if entry.test_only] == [routes.STAFF_TEST]


def test_navbar_links_are_the_r8_tables_in_its_order():
    """R8: a link shows only to users page_access.nav_links lets see it, so each must be in its table."""
    assert [link.route for link in NAV_LINKS] == [route for _, route, _ in page_access.NAV]


def test_public_pages_load_the_signed_in_user_first():
    from cbportal.state.session import SessionState

    portal = next(entry for entry in REGISTERED if entry.route == routes.PORTAL)
    assert portal.on_load[0] == SessionState.load_user and portal.title == "Find your order · cbportal"
