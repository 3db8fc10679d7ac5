"""issue 12: emails are stored as kind, template and parameters and rendered at delivery
(email_outbox.template, email_outbox.params; body_text and body_html, what was sent, are
filled in at delivery and so may be empty until then). Rows queued before this migration
keep their rendered bodies and are delivered from them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 14:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.alter_column('body_text', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('body_html', existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    # An email still waiting is rendered by the code of this revision; the code of 0013 can
    # only send rows whose bodies are there, so downgrade only with an empty outbox backlog.
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.alter_column('body_html', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('body_text', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('params')
        batch_op.drop_column('template')
