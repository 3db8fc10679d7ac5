"""Run Alembic from code: `upgrade(url)` builds or updates the schema (the only way
tables are made), `pending_changes(url)` lists differences between models and the
migrated database (empty when they agree)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import cbportal.models  # noqa: F401
from alembic import command

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    """The customer search indexes of migration 0011 are no model (one kind per database):
    SQLite's FTS5 table and its shadow tables, PostgreSQL's trigram GIN indexes."""
    if type_ == "table" and name and name.startswith("customer_search"):
        return False
    return not (type_ == "index" and name in ("ix_customer_email_trgm", "ix_customer_name_trgm"))


def pending_changes(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                  "include_object": _modelled})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
