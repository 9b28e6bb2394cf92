"""operator baskets: a phone or post order is built in a cart of the operator's own
(R-OPS-9), keyed by the agent and its owner ("" is the agent's web cart); an order
for an agent without e-mail records when its letter was printed

Revision ID: 2f1a6b7c8d17
Revises: 6d5eafb0c121
Create Date: 2026-12-06 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "2f1a6b7c8d17"
down_revision = '6d5eafb0c121'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_carts_cgos_number", type_="unique")
        batch_op.create_index("ix_carts_cgos_number_owner", ["cgos_number", "owner"], unique=True)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letter_printed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("letter_printed_at")
    # The operators' baskets go: the agent's web cart alone is unique again.
    op.execute("DELETE FROM carts WHERE owner <> ''")
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_index("ix_carts_cgos_number_owner")
        batch_op.create_unique_constraint("uq_carts_cgos_number", ["cgos_number"])
        batch_op.drop_column("owner")
