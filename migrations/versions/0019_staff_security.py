"""staff security: second factor, recovery codes, forced password change, last login,
security log (R-SEC-1)

Revision ID: 4b3c8d9eaf19
Revises: 2f1a6b7c8d17
Create Date: 2026-12-06 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '4b3c8d9eaf19'
down_revision = '2f1a6b7c8d17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users') as batch:
        batch.add_column(sa.Column('totp_secret', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('totp_enabled_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                'must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))
    op.create_table('staff_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_staff_recovery_codes_staff_id'), 'staff_recovery_codes', ['staff_id'], unique=False)
    op.create_table('security_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('client', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_security_events_at'), 'security_events', ['at'], unique=False)
    op.create_index(op.f('ix_security_events_kind'), 'security_events', ['kind'], unique=False)
    op.create_index(op.f('ix_security_events_staff_id'), 'security_events', ['staff_id'], unique=False)
    op.create_index(op.f('ix_security_events_email'), 'security_events', ['email'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_security_events_email'), table_name='security_events')
    op.drop_index(op.f('ix_security_events_staff_id'), table_name='security_events')
    op.drop_index(op.f('ix_security_events_kind'), table_name='security_events')
    op.drop_index(op.f('ix_security_events_at'), table_name='security_events')
    op.drop_table('security_events')
    op.drop_index(op.f('ix_staff_recovery_codes_staff_id'), table_name='staff_recovery_codes')
    op.drop_table('staff_recovery_codes')
    with op.batch_alter_table('staff_users') as batch:
        batch.drop_column('last_login_at')
        batch.drop_column('must_change_password')
        batch.drop_column('totp_last_step')
        batch.drop_column('totp_enabled_at')
        batch.drop_column('totp_secret')
