"""price change requests: partners ask, admins decide; partners' new offers wait (R-PAR-10)

Revision ID: c41e7a2b9d01
Revises: 7a3c9e15b2d4
Create Date: 2026-12-06 07:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'c41e7a2b9d01'
down_revision = '7a3c9e15b2d4'
branch_labels = None
depends_on = None

# The values of catalog.rules.PriceRequestStatus when this revision was written.
STATUSES = ('pending', 'approved', 'refused', 'withdrawn')
# catalog.rules.PriceRequestKind and OfferApproval, likewise.
KINDS = ('price_change', 'new_offer')
APPROVALS = ('approved', 'pending', 'refused')


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        'price_change_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('offer_id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column(
            'kind',
            _enum(KINDS, 'price_request_kind'),
            server_default='price_change',
            nullable=False,
        ),
        sa.Column('current_negotiated_cents', sa.Integer(), nullable=False),
        sa.Column('current_cgos_cents', sa.Integer(), nullable=False),
        sa.Column('requested_negotiated_cents', sa.Integer(), nullable=False),
        sa.Column('requested_cgos_cents', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column(
            'status',
            _enum(STATUSES, 'price_request_status'),
            nullable=False,
        ),
        sa.Column('requested_by', sa.String(length=200), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.String(length=200), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=False),
        sa.CheckConstraint(
            'requested_cgos_cents >= 0 AND requested_negotiated_cents >= requested_cgos_cents',
            name=op.f('ck_price_change_requests_requested_prices_consistent'),
        ),
        sa.ForeignKeyConstraint(
            ['offer_id'],
            ['offers.id'],
            name=op.f('fk_price_change_requests_offer_id_offers'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['partner_id'],
            ['partners.id'],
            name=op.f('fk_price_change_requests_partner_id_partners'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_price_change_requests')),
    )
    with op.batch_alter_table('price_change_requests', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_price_change_requests_offer_id'), ['offer_id'], unique=False
        )
        batch_op.create_index(
            'ix_price_change_requests_partner_status',
            ['partner_id', 'status', 'id'],
            unique=False,
        )
        batch_op.create_index(
            'ix_price_change_requests_status_requested',
            ['status', 'requested_at'],
            unique=False,
        )


    # Every offer already there was published by the store: approved.
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'approval',
                _enum(APPROVALS, 'offer_approval'),
                server_default='approved',
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('offers', schema=None) as batch_op:
        # SQLite rebuilds the table: the CHECK on the column goes first, by name.
        batch_op.drop_constraint(op.f('ck_offers_offer_approval'), type_='check')
        batch_op.drop_column('approval')
    with op.batch_alter_table('price_change_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_price_change_requests_status_requested')
        batch_op.drop_index('ix_price_change_requests_partner_status')
        batch_op.drop_index(batch_op.f('ix_price_change_requests_offer_id'))
    op.drop_table('price_change_requests')
