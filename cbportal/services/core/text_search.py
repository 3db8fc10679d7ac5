"""Search customers by any part of their email or name ("schmidt" finds
anna.schmidt@example.com and "Anna Schmidt"), answered by an index on both databases
(issue 16): PostgreSQL's trigram GIN indexes serve ILIKE '%x%'; SQLite asks its FTS5
trigram table `customer_search`, kept up to date by triggers (migration 0011). Terms
shorter than three characters have no trigram: they match the start of an email or name."""

from __future__ import annotations

from sqlalchemy import column, or_, text
from sqlmodel import Session

from cbportal.models import Customer
from cbportal.services.core.prefix import starts_with


def customer_matches(session: Session, term: str):
    """A condition on Customer: the term appears anywhere in the email or the name."""
    term = term.strip()
    if len(term) < 3:
        return or_(starts_with(session, Customer.email, term.lower()), starts_with(session, Customer.name, term))
    if session.get_bind().dialect.name == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        ids = text("SELECT rowid FROM customer_search WHERE customer_search MATCH :phrase") \
            .bindparams(phrase=phrase).columns(column("rowid"))
        return Customer.id.in_(ids)
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(Customer.email.ilike(pattern, escape="\\"), Customer.name.ilike(pattern, escape="\\"))
