"""holiday calendars: vendor_account.holiday_country/holiday_region, closed_date (R2)

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('vendor_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holiday_country', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
        batch_op.add_column(sa.Column('holiday_region', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
    op.create_table(
        'closed_date',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['vendor_account.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'day', name='uq_closed_date_account_day'),
    )
    with op.batch_alter_table('closed_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closed_date_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('closed_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closed_date_account_id'))
    op.drop_table('closed_date')
    with op.batch_alter_table('vendor_account', schema=None) as batch_op:
        batch_op.drop_column('holiday_region')
        batch_op.drop_column('holiday_country')
