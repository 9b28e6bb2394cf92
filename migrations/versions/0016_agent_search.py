"""agent search: a normalised search key per dossier (accents, case, spaces), filled for
the dossiers already imported (R-OPS-1)

Revision ID: 1e0f5a6b7c16
Revises: f74bad5ec034
Create Date: 2026-12-06 08:10:00
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '1e0f5a6b7c16'
down_revision = 'f74bad5ec034'
branch_labels = None
depends_on = None

BATCH = 1000
# A frozen copy of members/search_key.py as it was when this migration was written.
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"})
_FIELDS = ("cgos_number", "nom", "prenom", "etablissement", "etablissement_city", "city", "email")


def _normalise(text):
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain).strip()


def _phone(phone):
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def _key(row):
    words = [_normalise(row[name]) for name in _FIELDS]
    words += [_normalise(row[name]).replace(" ", "") for name in ("nom", "prenom", "etablissement")]
    words.append(_phone(row["phone"]))
    return f" {' '.join(w for w in words if w)} "[:1000]


def upgrade():
    with op.batch_alter_table('dossier_agents', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('search_key', sa.String(length=1000), server_default='', nullable=False)
        )
    bind = op.get_bind()
    agents = sa.table(
        'dossier_agents',
        *(sa.column(name) for name in (*_FIELDS, 'phone', 'search_key')),
    )
    update = (
        agents.update()
        .where(agents.c.cgos_number == sa.bindparam('number'))
        .values(search_key=sa.bindparam('key'))
    )
    last = ''
    while True:
        rows = bind.execute(
            sa.select(*(agents.c[name] for name in (*_FIELDS, 'phone')))
            .where(agents.c.cgos_number > last)
            .order_by(agents.c.cgos_number)
            .limit(BATCH)
        ).mappings().all()
        if not rows:
            break
        bind.execute(update, [{'number': r['cgos_number'], 'key': _key(r)} for r in rows])
        last = rows[-1]['cgos_number']


def downgrade():
    with op.batch_alter_table('dossier_agents', schema=None) as batch_op:
        batch_op.drop_column('search_key')
