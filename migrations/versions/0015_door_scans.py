"""door scans: the entry-control page's scans, live or queued offline, applied once per
device and local id, conflicts kept (R-PAR-9)

Revision ID: f74bad5ec034
Revises: e63a9c4dbf23
Create Date: 2026-12-06 07:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'f74bad5ec034'
down_revision = 'e63a9c4dbf23'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('door_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('local_id', sa.String(length=64), nullable=False),
    sa.Column('eticket_id', sa.Integer(), nullable=True),
    sa.Column('scanned_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('local_verdict', sa.String(length=20), nullable=True),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('conflict', sa.Boolean(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['eticket_id'], ['etickets.id'], ),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['offer_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partner_id', 'device_id', 'local_id', name='uq_door_scans_device_local')
    )
    op.create_index(op.f('ix_door_scans_partner_id'), 'door_scans', ['partner_id'], unique=False)
    op.create_index(op.f('ix_door_scans_session_id'), 'door_scans', ['session_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_door_scans_session_id'), table_name='door_scans')
    op.drop_index(op.f('ix_door_scans_partner_id'), table_name='door_scans')
    op.drop_table('door_scans')
