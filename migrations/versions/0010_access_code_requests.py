"""access codes sent per day: « Recevoir mon code d'accès » counts them server-side

Revision ID: 5c2d8e41a7f3
Revises: 9b1e5c7a2d30
Create Date: 2026-12-06 01:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '5c2d8e41a7f3'
down_revision = '9b1e5c7a2d30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('access_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_on', sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column('requested_count', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('access_codes', schema=None) as batch_op:
        batch_op.drop_column('requested_count')
        batch_op.drop_column('requested_on')
