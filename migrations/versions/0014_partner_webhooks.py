"""partner webhooks: endpoints (secret derived, never stored), deliveries, the partner's
notification address and the partner administrator flag

Revision ID: e63a9c4dbf23
Revises: c41e7a2b9d01
Create Date: 2026-12-06 07:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'e63a9c4dbf23'
down_revision = 'c41e7a2b9d01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users') as batch:
        batch.add_column(
            sa.Column('partner_admin', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        'partner_notices',
        sa.Column('partner_id', sa.Integer(), sa.ForeignKey('partners.id'), primary_key=True),
        sa.Column('email', sa.String(320), nullable=True),
        sa.Column('mail_orders', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('partner_id', sa.Integer(), sa.ForeignKey('partners.id'), nullable=False),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('secret_salt', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('partner_id', name=op.f('uq_webhook_endpoints_partner_id')),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column(
            'endpoint_id', sa.Integer(), sa.ForeignKey('webhook_endpoints.id'), nullable=False
        ),
        sa.Column('partner_id', sa.Integer(), sa.ForeignKey('partners.id'), nullable=False),
        sa.Column('event_id', sa.String(40), nullable=False),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(500), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.Column('failed_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('event_id', name=op.f('uq_webhook_deliveries_event_id')),
    )
    for column in ('endpoint_id', 'partner_id', 'status', 'next_attempt_at', 'created_at'):
        op.create_index(f'ix_webhook_deliveries_{column}', 'webhook_deliveries', [column])


def downgrade():
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')
    op.drop_table('partner_notices')
    with op.batch_alter_table('staff_users') as batch:
        batch.drop_column('partner_admin')
