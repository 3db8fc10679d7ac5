"""Helpers and fixtures shared between test files. A test file imports helpers from here,
never from another test file; fixtures reach the tests through their directory's
conftest.py, which imports them from here."""
