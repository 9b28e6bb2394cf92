"""stay bookings: a Prix mini registration keeps its price breakdown and the order that pays it

Revision ID: 9b1e5c7a2d30
Revises: 67f21c532380
Create Date: 2026-11-23 22:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '9b1e5c7a2d30'
down_revision = '67f21c532380'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('prix_mini_registrations', schema=None) as batch_op:
        # Dossiers may come from the remote dossier service: no key to the local table.
        batch_op.drop_constraint(
            'fk_prix_mini_registrations_cgos_number_dossier_agents', type_='foreignkey'
        )
        batch_op.add_column(sa.Column('breakdown', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_prix_mini_registrations_order_id_orders'),
            'orders', ['order_id'], ['id'],
        )
        batch_op.create_index(
            batch_op.f('ix_prix_mini_registrations_order_id'), ['order_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('prix_mini_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prix_mini_registrations_order_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_prix_mini_registrations_order_id_orders'), type_='foreignkey'
        )
        batch_op.drop_column('order_id')
        batch_op.drop_column('breakdown')
        batch_op.create_foreign_key(
            'fk_prix_mini_registrations_cgos_number_dossier_agents',
            'dossier_agents', ['cgos_number'], ['cgos_number'],
        )
