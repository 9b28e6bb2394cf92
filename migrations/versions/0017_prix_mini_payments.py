"""prix mini payments: a winner's payment received outside the store (amount, method,
reference), one per registration (R-VAC-7)

Revision ID: 6d5eafb0c121
Revises: 1e0f5a6b7c16
Create Date: 2026-12-06 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "6d5eafb0c121"
down_revision = '1e0f5a6b7c16'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "prix_mini_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["prix_mini_registrations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration_id"),
    )


def downgrade():
    op.drop_table("prix_mini_payments")
