"""seat alerts: « Prévenez-moi » on sold-out sessions and offers not yet on sale, with
the 24-hour hold of the first in line (R-AGT-2)

Revision ID: 8f5a0b1c2d23
Revises: 2b9e4c7d1a20
Create Date: 2026-12-06 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '8f5a0b1c2d23'
down_revision = '2b9e4c7d1a20'
branch_labels = None
depends_on = None

STATES = ('waiting', 'held', 'notified', 'used', 'expired', 'cancelled')


def upgrade():
    op.create_table(
        'seat_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cgos_number', sa.String(length=9), nullable=False),
        sa.Column('household_id', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('offer_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('held_quantity', sa.Integer(), server_default='0', nullable=False),
        sa.Column(
            'state',
            sa.Enum(
                *STATES,
                name='seat_alert_state',
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('notified_at', sa.DateTime(), nullable=True),
        sa.Column('hold_expires_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.CheckConstraint('quantity >= 1', name=op.f('ck_seat_alerts_quantity_positive')),
        sa.CheckConstraint('held_quantity >= 0', name=op.f('ck_seat_alerts_held_not_negative')),
        sa.ForeignKeyConstraint(
            ['offer_id'],
            ['offers.id'],
            name=op.f('fk_seat_alerts_offer_id_offers'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['session_id'],
            ['offer_sessions.id'],
            name=op.f('fk_seat_alerts_session_id_offer_sessions'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_seat_alerts')),
    )
    op.create_index(
        op.f('ix_seat_alerts_cgos_number'), 'seat_alerts', ['cgos_number'], unique=False
    )
    op.create_index(
        'ix_seat_alerts_line', 'seat_alerts', ['offer_id', 'session_id', 'state', 'id']
    )
    op.create_index('ix_seat_alerts_due', 'seat_alerts', ['state', 'hold_expires_at'])


def downgrade():
    op.drop_index('ix_seat_alerts_due', table_name='seat_alerts')
    op.drop_index('ix_seat_alerts_line', table_name='seat_alerts')
    op.drop_index(op.f('ix_seat_alerts_cgos_number'), table_name='seat_alerts')
    op.drop_table('seat_alerts')
