"""Fixtures shared by the tests in tests/db, defined in tests/utils: `shop` (billing on the
stored test clock), `world` and `mw` (the role x action world). A test module that
defines a fixture of the same name uses its own."""

from tests.utils.billing import shop  # noqa: F401  (fixture)
from tests.utils.roles import mw, world  # noqa: F401  (fixtures)
