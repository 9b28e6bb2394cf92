"""receipts, venue address and pick-up instructions (R-AGT-3)

Revision ID: 7e4f9a0b1c22
Revises: 6d3e8f9a0b21
Create Date: 2026-12-06 10:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = '7e4f9a0b1c22'
down_revision = '6d3e8f9a0b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('receipt_counters',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    # A unique index, not a constraint: SQLite adds the column in place instead of copying
    # the table (a copy would lose the CHECK constraints of its status enums).
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('receipt_number', sa.String(length=20), nullable=True))
    op.create_index(op.f('ix_orders_receipt_number'), 'orders', ['receipt_number'], unique=True)
    with op.batch_alter_table('offers') as batch:
        batch.add_column(sa.Column('venue_address', sa.String(length=250), nullable=True))
        batch.add_column(sa.Column('pickup_instructions', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('offers') as batch:
        batch.drop_column('pickup_instructions')
        batch.drop_column('venue_address')
    op.drop_index(op.f('ix_orders_receipt_number'), table_name='orders')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('receipt_number')
    op.drop_table('receipt_counters')
