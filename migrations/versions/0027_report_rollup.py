"""report rollup: the agent's region kept on the order when it is placed (R-REP-1), the
orders already placed taking their agent's region from the dossier records; and the
closed days' figures the dashboard reads instead of every order (report_day_orders,
report_day_lines, report_rollup_state), written by the due job reports.rollup. Issue 22.

Revision ID: 4b7e1c9d2f27
Revises: 9d4e6f7a8b25
Create Date: 2026-12-06 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4b7e1c9d2f27"
down_revision = "9d4e6f7a8b25"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("region", sa.String(length=80), nullable=True))
    op.execute(
        "UPDATE orders SET region = (SELECT dossier_agents.region FROM dossier_agents"
        " WHERE dossier_agents.cgos_number = orders.cgos_number)"
    )
    op.create_table(
        "report_day_orders",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("placed_orders", sa.Integer(), nullable=False),
        sa.Column("paid_orders", sa.Integer(), nullable=False),
        sa.Column("paid_total_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_goods_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_fees_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_participation_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "region", "channel", "payment_method", name=op.f("pk_report_day_orders")
        ),
    )
    op.create_table(
        "report_day_lines",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("participation_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "region", "offer_id", "partner_id", name=op.f("pk_report_day_lines")
        ),
    )
    op.create_table(
        "report_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rolled_through", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollup_state")),
    )
    op.execute("INSERT INTO report_rollup_state (id, rolled_through) VALUES (1, NULL)")


def downgrade():
    op.drop_table("report_rollup_state")
    op.drop_table("report_day_lines")
    op.drop_table("report_day_orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("region")
