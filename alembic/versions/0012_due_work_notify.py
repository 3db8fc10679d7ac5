"""due work wakes the worker: NOTIFY cbportal_due on PostgreSQL (issue 12 point 4)

Statement-level triggers on the tables that hold timers send `NOTIFY cbportal_due, '<table>'`
when due work is written (a new ticket, a type change, a rebill date, an outbox row, the
test clock moving); PostgreSQL sends it at commit, once per table and transaction. SQLite
has no NOTIFY: the worker polls it every 0.25 s instead. Nothing changes in the models.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 19:00:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the columns whose change makes work due (INSERT always does)
WATCHED = {
    'ticket': 'process_at, inactivity_at, type, status, refund_status',
    'subscription': 'next_charge_at, reminder_due_at',
    'payment_attempt': 'check_at',
    'email_outbox': 'next_attempt_at',
    'ins_outbox': 'next_attempt_at',
    'test_clock': 'now',
}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION cbportal_notify_due() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('cbportal_due', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    for table, columns in WATCHED.items():
        op.execute(f"CREATE TRIGGER {table}_due_notify AFTER INSERT OR UPDATE OF {columns} ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION cbportal_notify_due()")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_due_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS cbportal_notify_due()")
