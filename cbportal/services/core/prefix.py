"""Prefix search that an index can answer. SQLite compares text by its bytes, so "starts
with p" is exactly the range p <= x < p' (p with its last character moved up by one) and
uses the column's ordinary index. PostgreSQL uses LIKE 'p%' with a text_pattern_ops index
(customer.email, migration 0004); LIKE wildcards typed by the user are escaped."""

from __future__ import annotations

from sqlalchemy import and_
from sqlmodel import Session


def starts_with(session: Session, column, prefix: str):
    if session.get_bind().dialect.name == "sqlite" and prefix and ord(prefix[-1]) < 0x10FFFF:
        return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))
    return column.startswith(prefix, autoescape=True)
