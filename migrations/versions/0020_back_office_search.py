"""back office on a long history: trigram indexes for partial order numbers and the
forgiving agent search (PostgreSQL), the order status index dropped (issue 20)

``ix_orders_status`` duplicated the first column of ``ix_orders_due`` (status,
expires_at), which serves every status lookup; alone on a column where nearly every row
is « paid », it led SQLite to read the whole history for a month's filtered order list.
The trigram indexes let ``LIKE '%…%'`` on an order number or a dossier's search key read
an index instead of every row; SQLite has no such index and keeps its scan.

Revision ID: 2b9e4c7d1a20
Revises: 4b3c8d9eaf19
Create Date: 2026-12-06 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '2b9e4c7d1a20'
down_revision = '4b3c8d9eaf19'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders') as batch_op:
        batch_op.drop_index('ix_orders_status')
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        # The extension lives in one schema of the database, maybe not the store's: its
        # operator class is named with that schema.
        schema = bind.scalar(
            sa.text(
                "SELECT extnamespace::regnamespace::text FROM pg_extension "
                "WHERE extname = 'pg_trgm'"
            )
        )
        ops = f'{schema}.gin_trgm_ops'
        op.execute(f'CREATE INDEX ix_orders_number_trgm ON orders USING gin (number {ops})')
        op.execute(
            'CREATE INDEX ix_dossier_agents_search_key_trgm '
            f'ON dossier_agents USING gin (search_key {ops})'
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_dossier_agents_search_key_trgm')
        op.execute('DROP INDEX IF EXISTS ix_orders_number_trgm')
    with op.batch_alter_table('orders') as batch_op:
        batch_op.create_index('ix_orders_status', ['status'], unique=False)
