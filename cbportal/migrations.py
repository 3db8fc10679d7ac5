"""Run Alembic from code: `upgrade(url)` builds or updates the schema (the only way
tables are made), `pending_changes(url)` lists differences between models and the
migrated database (empty when they agree)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import cbportal.models  # noqa: F401

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
    """SQLite's full-text index of customers (migration 0011: an FTS5 table and its shadow
    tables, kept by triggers) is no model: leave it out of the comparison."""
    return not (type_ == "table" and name and name.startswith("customer_search"))


def pending_changes(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                  "include_object": _modelled})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
