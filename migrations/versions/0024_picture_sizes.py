"""picture sizes: the pixels of each stored picture, and the derived sizes agents' pages
ask for (16:9 cards, whole photos; WebP and JPEG), their bytes stored once per SHA-256
(issue 21). Existing pictures get their sizes from ``flask catalog pictures``.

Revision ID: 5c2d7e8f9a20
Revises: 7e4f9a0b1c22
Create Date: 2026-12-06 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '5c2d7e8f9a20'
down_revision = '7e4f9a0b1c22'
branch_labels = None
depends_on = None


def upgrade():
    # Sizes are cached by browsers for a year under the picture's id: on SQLite the table is
    # rebuilt with AUTOINCREMENT so a deleted picture's id is never given to a new one
    # (PostgreSQL's sequence never gives an id twice).
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table(
        'offer_pictures',
        recreate='always' if sqlite else 'auto',
        table_kwargs={'sqlite_autoincrement': True} if sqlite else {},
    ) as batch:
        batch.add_column(sa.Column('width', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('height', sa.Integer(), nullable=True))
    op.create_table('picture_files',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_picture_files'))
    )
    op.create_table('offer_picture_sizes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('picture_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('fmt', sa.String(length=5), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['digest'], ['picture_files.digest'], name=op.f('fk_offer_picture_sizes_digest_picture_files')),
    sa.ForeignKeyConstraint(['picture_id'], ['offer_pictures.id'], name=op.f('fk_offer_picture_sizes_picture_id_offer_pictures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_picture_sizes')),
    sa.UniqueConstraint('picture_id', 'kind', 'fmt', 'width', name=op.f('uq_offer_picture_sizes_picture_id'))
    )
    op.create_index(op.f('ix_offer_picture_sizes_picture_id'), 'offer_picture_sizes', ['picture_id'], unique=False)
    op.create_index(op.f('ix_offer_picture_sizes_digest'), 'offer_picture_sizes', ['digest'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_offer_picture_sizes_digest'), table_name='offer_picture_sizes')
    op.drop_index(op.f('ix_offer_picture_sizes_picture_id'), table_name='offer_picture_sizes')
    op.drop_table('offer_picture_sizes')
    op.drop_table('picture_files')
    with op.batch_alter_table('offer_pictures') as batch:
        batch.drop_column('height')
        batch.drop_column('width')
