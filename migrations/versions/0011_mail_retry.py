"""mail retry: each pending mail has its next try, and holds its secrets only until sent

Revision ID: 4d8e2b6f1a93
Revises: 5c2d8e41a7f3
Create Date: 2026-12-06 01:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '4d8e2b6f1a93'
down_revision = '5c2d8e41a7f3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('secrets', sa.JSON(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_outbox_mails_next_attempt_at'), ['next_attempt_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mails_next_attempt_at'))
        batch_op.drop_column('secrets')
        batch_op.drop_column('next_attempt_at')
