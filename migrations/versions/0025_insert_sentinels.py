"""insert sentinels: a nullable column on the audit log and the outbox that lets SQLite
insert many rows in one statement and still hand each one its id (issue 19: 200 parcels
marked shipped in a number of statements that does not grow with the parcels).

Revision ID: 1c5d9e2f3a25
Revises: 5c2d7e8f9a20
Create Date: 2026-12-06 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '1c5d9e2f3a25'
down_revision = '5c2d7e8f9a20'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, no default: PostgreSQL adds it without rewriting the table.
    for table in ('audit_entries', 'outbox_mails'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('_sentinel', sa.Integer(), nullable=True))


def downgrade():
    for table in ('outbox_mails', 'audit_entries'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('_sentinel')
