"""money truth: refund attempts as a state machine, ticket refund status

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cbportal.types
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_at', cbportal.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chain_started_at', cbportal.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('try_no', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('manual_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('manual_by_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_payment_attempt_manual_by_user_id_app_user', 'app_user',
                                    ['manual_by_user_id'], ['id'])
        batch_op.create_index('ix_payment_attempt_check', ['check_at'], unique=False)
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_status', sa.String(length=24), nullable=True))
    # A refund the gateway refused was recorded as "error"; it is "failed" now, and is
    # looked at again at once (retried with a new attempt).
    op.execute("UPDATE payment_attempt SET outcome = 'failed', check_at = at, chain_started_at = at "
               "WHERE kind = 'refund' AND outcome = 'error'")
    op.execute("UPDATE payment_attempt SET check_at = at, chain_started_at = at "
               "WHERE kind = 'refund' AND outcome = 'pending'")
    op.execute("UPDATE payment_attempt SET chain_started_at = at WHERE chain_started_at IS NULL AND kind = 'refund'")


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('refund_status')
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_attempt_check')
        batch_op.drop_constraint('fk_payment_attempt_manual_by_user_id_app_user', type_='foreignkey')
        batch_op.drop_column('manual_by_user_id')
        batch_op.drop_column('manual_reason')
        batch_op.drop_column('message')
        batch_op.drop_column('try_no')
        batch_op.drop_column('chain_started_at')
        batch_op.drop_column('check_at')
