"""vendor desk (issue 16): API integration roles, report access, ticket assignee, internal
notes, canned replies

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-23 19:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cbportal.types
from alembic import op

revision: str = '0011'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_roles', sa.JSON(), nullable=True))
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ticket_assignee_user_id'), ['assignee_user_id'], unique=False)
        batch_op.create_foreign_key('fk_ticket_assignee_user_id', 'app_user', ['assignee_user_id'], ['id'])
    op.create_table(
        'ticket_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('author_user_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('at', cbportal.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_user_id'], ['app_user.id'], ),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('ticket_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_note_ticket_id'), ['ticket_id'], unique=False)
    op.create_table(
        'canned_reply',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', cbportal.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['vendor_account.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'title', name='uq_canned_reply_account_title'),
    )
    with op.batch_alter_table('canned_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_canned_reply_account_id'), ['account_id'], unique=False)
    # Search by any part of a customer's email or name (dashboard): trigrams.
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":     # PostgreSQL only: on SQLite they would be plain b-trees that mislead its planner
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_customer_email_trgm ON customer USING gin (email gin_trgm_ops)")
        op.execute("CREATE INDEX ix_customer_name_trgm ON customer USING gin (name gin_trgm_ops)")
    if dialect == "sqlite":
        op.execute("CREATE VIRTUAL TABLE customer_search USING fts5(email, name, content='customer', "
                   "content_rowid='id', tokenize='trigram')")
        op.execute("CREATE TRIGGER customer_search_ai AFTER INSERT ON customer BEGIN "
                   "INSERT INTO customer_search(rowid, email, name) VALUES (new.id, new.email, new.name); END")
        op.execute("CREATE TRIGGER customer_search_ad AFTER DELETE ON customer BEGIN "
                   "INSERT INTO customer_search(customer_search, rowid, email, name) "
                   "VALUES ('delete', old.id, old.email, old.name); END")
        op.execute("CREATE TRIGGER customer_search_au AFTER UPDATE ON customer BEGIN "
                   "INSERT INTO customer_search(customer_search, rowid, email, name) "
                   "VALUES ('delete', old.id, old.email, old.name); "
                   "INSERT INTO customer_search(rowid, email, name) VALUES (new.id, new.email, new.name); END")
        op.execute("INSERT INTO customer_search(customer_search) VALUES ('rebuild')")
    # Reports used to need Manage Orders; report access is its own switch now. Everyone
    # who could read the reports keeps them.
    op.execute("INSERT INTO user_role (user_id, role) SELECT user_id, 'report_access' FROM user_role "
               "WHERE role = 'manage_orders'")


def downgrade() -> None:
    op.execute("DELETE FROM user_role WHERE role = 'report_access'")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("customer_search_ai", "customer_search_ad", "customer_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS customer_search")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customer_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_customer_email_trgm")
    with op.batch_alter_table('canned_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_canned_reply_account_id'))
    op.drop_table('canned_reply')
    with op.batch_alter_table('ticket_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_note_ticket_id'))
    op.drop_table('ticket_note')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ticket_assignee_user_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ticket_assignee_user_id'))
        batch_op.drop_column('assignee_user_id')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('api_roles')
