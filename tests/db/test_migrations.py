"""Alembic is the only way tables are made, and the models agree with the migrations."""

from sqlalchemy import inspect

from cbportal.migrations import pending_changes


def test_autogenerate_finds_no_difference(engine):
    assert pending_changes(engine.url.render_as_string(hide_password=False)) == []


def test_schema_has_every_table(engine):
    names = set(inspect(engine).get_table_names())
    assert {"vendor_account", "app_user", "api_key", "product", "customer_order", "bill", "payment_attempt",
            "subscription", "ticket", "ticket_comment", "ticket_event", "email_outbox", "ins_outbox",
            "ins_delivery", "audit_log", "test_clock", "alembic_version"} <= names
