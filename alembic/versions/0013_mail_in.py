"""issue 17: inbound email (email_outbox.reply_to, inbound_mail); order bump and upsell
offers (checkout_offer)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 19:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import cbportal.types
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
    op.create_table(
        'inbound_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('received_at', cbportal.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['vendor_account.id'], ),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest', name='uq_inbound_mail_digest'),
    )
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mail_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_ticket_id'), ['ticket_id'], unique=False)
    op.create_table(
        'checkout_offer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('offer_product_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', cbportal.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['offer_product_id'], ['product.id'], ),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('product_id', 'offer_product_id', 'kind', name='uq_checkout_offer'),
    )
    with op.batch_alter_table('checkout_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkout_offer_product_id'), ['product_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('checkout_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkout_offer_product_id'))
    op.drop_table('checkout_offer')
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mail_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_received_at'))
    op.drop_table('inbound_mail')
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_column('reply_to')
