"""order life: typed statuses refused by the database when unknown, payment capture state in
indexed columns instead of the payment's JSON details

Revision ID: 7a3c9e15b2d4
Revises: 4d8e2b6f1a93
Create Date: 2026-12-06 04:30:00
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '7a3c9e15b2d4'
down_revision = '4d8e2b6f1a93'
branch_labels = None
depends_on = None

PARIS = ZoneInfo('Europe/Paris')
# The values of orders.status (OrderStatus, LineStatus, PaymentStatus, ShipmentStatus), as
# they were when this revision was written.
STATUSES = {
    ('orders', 'order_status'): (
        'pending_payment', 'option', 'paid', 'partially_shipped', 'shipped', 'cancelled',
        'partially_refunded', 'refunded',
    ),
    ('order_lines', 'line_status'): ('active', 'refunded', 'withdrawn'),
    ('payments', 'payment_status'): (
        'received', 'authorised', 'captured', 'hold_lost', 'refund_pending', 'refunded',
    ),
    ('shipments', 'shipment_status'): ('shipped',),
}
CHUNK = 2000

payments = sa.table(
    'payments',
    sa.column('id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('status', sa.String),
    sa.column('captured_at', sa.DateTime),
    sa.column('etickets_due_at', sa.DateTime),
    sa.column('details', sa.JSON),
)


def _in_list(values):
    return ', '.join(f"'{v}'" for v in values)


def _add_checks(bind):
    """PostgreSQL: the CHECK constraints the models declare. SQLite cannot add a constraint
    without rebuilding the table (which its foreign keys forbid inside this transaction):
    triggers refuse an unknown value instead."""
    for (table, name), values in STATUSES.items():
        condition = f'status IN ({_in_list(values)})'
        if bind.dialect.name == 'sqlite':
            for event in ('INSERT', 'UPDATE OF status'):
                trigger = f"ck_{table}_{name}_{event.split()[0].lower()}"
                op.execute(
                    f'CREATE TRIGGER {trigger} BEFORE {event} ON {table} '
                    f'WHEN NEW.status NOT IN ({_in_list(values)}) '
                    f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
                )
        else:
            op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, condition)


def _drop_checks(bind):
    for table, name in STATUSES:
        if bind.dialect.name == 'sqlite':
            for event in ('insert', 'update'):
                op.execute(f'DROP TRIGGER IF EXISTS ck_{table}_{name}_{event}')
        else:
            op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')


def _release_time(captured_at):
    """The start (naive UTC) of the Paris day after the capture (R-PAY-5)."""
    day = captured_at.replace(tzinfo=UTC).astimezone(PARIS).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def _rows(bind):
    """Payments with details, read a chunk at a time by id."""
    last = 0
    while True:
        rows = bind.execute(
            sa.select(payments.c.id, payments.c.kind, payments.c.status, payments.c.captured_at,
                      payments.c.etickets_due_at, payments.c.details)
            .where(payments.c.id > last)
            .order_by(payments.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _upgrade_row(row):
    details = dict(row.details or {})
    captured_at = due = None
    if row.kind == 'refund':
        status = 'refunded' if details.pop('status', None) == 'done' else 'refund_pending'
    else:
        capture = details.pop('capture', None)
        stamp = details.pop('captured_at', None)
        sent = details.pop('etickets', None) == 'sent'
        status = {'pending': 'authorised', 'done': 'captured', 'failed': 'hold_lost'}.get(
            capture, 'received'
        )
        if status == 'captured':
            captured_at = datetime.fromisoformat(stamp) if stamp else None
            if captured_at is not None and captured_at.tzinfo is not None:
                captured_at = captured_at.astimezone(UTC).replace(tzinfo=None)
            if not sent and captured_at is not None:
                due = _release_time(captured_at)
    return {
        'b_id': row.id,
        'status': status,
        'captured_at': captured_at,
        'etickets_due_at': due,
        'details': details or None,
    }


def _downgrade_row(row):
    details = dict(row.details or {})
    if row.kind == 'refund':
        details['status'] = 'done' if row.status == 'refunded' else 'to_pay'
    elif row.status == 'authorised':
        details['capture'] = 'pending'
    elif row.status == 'hold_lost':
        details['capture'] = 'failed'
    elif row.status == 'captured':
        details['capture'] = 'done'
        if row.captured_at is not None:
            details['captured_at'] = row.captured_at.isoformat()
        if row.etickets_due_at is None:
            details['etickets'] = 'sent'
    return {'b_id': row.id, 'details': details or None}


def _rewrite(bind, values, convert):
    stmt = (
        payments.update()
        .where(payments.c.id == sa.bindparam('b_id'))
        .values({name: sa.bindparam(name) for name in values})
    )
    for rows in _rows(bind):
        changes = [convert(row) for row in rows]
        if changes:
            bind.execute(stmt, changes)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status', sa.String(length=20), nullable=False, server_default='received')
        )
        batch_op.add_column(sa.Column('captured_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('etickets_due_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_payments_due', ['status', 'created_at'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_payments_etickets_due_at'), ['etickets_due_at'], unique=False
        )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status', sa.String(length=20), nullable=False, server_default='shipped')
        )
    _rewrite(bind, ('status', 'captured_at', 'etickets_due_at', 'details'), _upgrade_row)
    if bind.dialect.name != 'sqlite':
        # Every writer now names the status; SQLite keeps the default (dropping it would
        # rebuild the table).
        op.alter_column('payments', 'status', server_default=None)
        op.alter_column('shipments', 'status', server_default=None)
    _add_checks(bind)


def downgrade() -> None:
    bind = op.get_bind()
    _drop_checks(bind)
    _rewrite(bind, ('details',), _downgrade_row)
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_column('status')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_etickets_due_at'))
        batch_op.drop_index('ix_payments_due')
        batch_op.drop_column('etickets_due_at')
        batch_op.drop_column('captured_at')
        batch_op.drop_column('status')
