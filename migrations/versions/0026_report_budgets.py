"""report budgets: the yearly participation budgets, national and per region (R-REP-1),
and the indexes the dashboard's periods read through (orders.paid_at,
order_lines.refunded_at; orders.placed_at already has one). Issue 22.

Revision ID: 9d4e6f7a8b25
Revises: 1c5d9e2f3a25
Create Date: 2026-12-06 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9d4e6f7a8b25"
down_revision = "1c5d9e2f3a25"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "participation_budgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("alert_percent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "amount_cents >= 0", name=op.f("ck_participation_budgets_amount_not_negative")
        ),
        sa.CheckConstraint(
            "alert_percent BETWEEN 1 AND 100",
            name=op.f("ck_participation_budgets_alert_percent_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_budgets")),
    )
    op.create_index(
        "uq_participation_budgets_year_region",
        "participation_budgets",
        ["year", "region"],
        unique=True,
    )
    op.create_index(
        "uq_participation_budgets_national",
        "participation_budgets",
        ["year"],
        unique=True,
        postgresql_where=sa.text("region IS NULL"),
        sqlite_where=sa.text("region IS NULL"),
    )
    op.create_index(op.f("ix_orders_paid_at"), "orders", ["paid_at"], unique=False)
    op.create_index(
        op.f("ix_order_lines_refunded_at"), "order_lines", ["refunded_at"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_order_lines_refunded_at"), table_name="order_lines")
    op.drop_index(op.f("ix_orders_paid_at"), table_name="orders")
    op.drop_index("uq_participation_budgets_national", table_name="participation_budgets")
    op.drop_index("uq_participation_budgets_year_region", table_name="participation_budgets")
    op.drop_table("participation_budgets")
