"""search index: category and kind words, partner and session places in every offer's
search text, a search key (title, category, kind) for ranking, SQLite's FTS5 index kept
by triggers, a search vocabulary on both databases (R-CAT-5)

PostgreSQL keeps its GIN index on ``to_tsvector('simple', search_text)`` (0002): the
texts are normalised by the store before they are written (no ``unaccent`` needed).
Its vocabulary table ``offers_vocab`` (every word of every search text, added by a
trigger) tells which one-typo variants of a query word exist (catalog/search.py).

SQLite: the FTS5 table ``offers_fts`` reads its text from ``offers`` (external content)
and three triggers keep it in step with every insert, update and delete, whoever writes.
The fts5vocab table ``offers_vocab`` lists its words. A later batch migration that
recreates ``offers`` on SQLite drops these triggers: it must create them again
(``create_sqlite_index`` below is the recipe).

Revision ID: 6d3e8f9a0b21
Revises: 8f5a0b1c2d23
Create Date: 2026-12-06 10:30:00
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '6d3e8f9a0b21'
down_revision = '8f5a0b1c2d23'
branch_labels = None
depends_on = None

BATCH = 500
# A frozen copy of catalog/text.py and of the labels as they were when this was written.
_NON_WORD = re.compile(r"[^0-9a-z]+")
_STOP = frozenset("a au aux d de des du en et l la le les ou un une pour par sur avec non".split())
_CATEGORIES = {
    "spectacles": "Spectacles spectacle",
    "concerts": "Concerts concert musique",
    "sport": "Sport match",
    "parcs-et-loisirs": "Parcs et loisirs parc loisir",
    "cinema": "Cinéma film cine",
    "cartes-et-cheques": "Cartes et chèques réduction carte cheque",
    "abonnements-magazines": "Abonnements magazines abonnement magazine revue presse",
    "cheques-culture": "Chèques culture cheque culture",
    "sejours": "Séjours vacances sejour vacances",
}
_KINDS = {
    "billet_date": "Billet daté",
    "billet_ouvert": "Billet non daté",
    "carte": "Carte ou chèque",
    "abonnement": "Abonnement magazine",
    "cheque_culture": "Chèques culture",
    "sejour": "Séjour vacances",
}


def _normalise(text):
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", plain).strip()


def _joined(*parts):
    return " ".join(p for p in (_normalise(x) for x in parts) if p)


def _columns(row, places):
    words = _joined(_CATEGORIES.get(row["category"]), _KINDS.get(row["kind"])).split()
    catalog = " ".join(dict.fromkeys(w for w in words if w not in _STOP))
    key = _joined(row["title"], catalog)
    stops = [p for p in dict.fromkeys(_normalise(x) for x in places) if p]
    text = _joined(
        key, row["summary"], row["description"], row["venue"], row["city"], row["partner"],
        *stops,
    )
    return {"key": key, "text": text}


def create_sqlite_index(bind):
    """The FTS5 table over offers' search key and text, filled, and its triggers."""
    op.execute(
        "CREATE VIRTUAL TABLE offers_fts USING fts5(search_key, search_text, "
        "content='offers', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute("INSERT INTO offers_fts(offers_fts) VALUES ('rebuild')")
    op.execute("CREATE VIRTUAL TABLE offers_vocab USING fts5vocab(offers_fts, row)")
    op.execute(
        "CREATE TRIGGER offers_fts_insert AFTER INSERT ON offers BEGIN "
        "INSERT INTO offers_fts(rowid, search_key, search_text) "
        "VALUES (new.id, new.search_key, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER offers_fts_delete AFTER DELETE ON offers BEGIN "
        "INSERT INTO offers_fts(offers_fts, rowid, search_key, search_text) "
        "VALUES ('delete', old.id, old.search_key, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER offers_fts_update AFTER UPDATE OF search_key, search_text ON offers "
        "BEGIN "
        "INSERT INTO offers_fts(offers_fts, rowid, search_key, search_text) "
        "VALUES ('delete', old.id, old.search_key, old.search_text); "
        "INSERT INTO offers_fts(rowid, search_key, search_text) "
        "VALUES (new.id, new.search_key, new.search_text); END"
    )


def create_postgresql_vocabulary():
    """Every word of the search texts, filled, and the trigger adding new ones (a word no
    offer holds any more stays: it only makes a typo variant that finds nothing)."""
    op.execute("CREATE TABLE offers_vocab (term TEXT PRIMARY KEY)")
    op.execute(
        "INSERT INTO offers_vocab (term) SELECT DISTINCT w FROM offers, "
        "unnest(string_to_array(search_text, ' ')) AS w WHERE w <> '' ON CONFLICT DO NOTHING"
    )
    op.execute(
        "CREATE FUNCTION offers_vocab_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO offers_vocab (term) SELECT DISTINCT w "
        "FROM unnest(string_to_array(NEW.search_text, ' ')) AS w WHERE w <> '' "
        "ON CONFLICT DO NOTHING; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER offers_vocab_add AFTER INSERT OR UPDATE OF search_text ON offers "
        "FOR EACH ROW EXECUTE FUNCTION offers_vocab_add()"
    )


def upgrade():
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.Text(), server_default='', nullable=False))
    bind = op.get_bind()
    offers = sa.table(
        'offers',
        *(sa.column(n) for n in ('id', 'partner_id', 'kind', 'category', 'title', 'summary',
                                  'description', 'venue', 'city', 'search_key', 'search_text')),
    )
    partners = sa.table('partners', sa.column('id'), sa.column('name'))
    sessions = sa.table(
        'offer_sessions', sa.column('id'), sa.column('offer_id'), sa.column('venue'),
        sa.column('city'),
    )
    update = (
        offers.update()
        .where(offers.c.id == sa.bindparam('offer_id'))
        .values(search_key=sa.bindparam('key'), search_text=sa.bindparam('text'))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                offers.c.id, offers.c.kind, offers.c.category, offers.c.title, offers.c.summary,
                offers.c.description, offers.c.venue, offers.c.city,
                partners.c.name.label('partner'),
            )
            .select_from(offers.outerjoin(partners, partners.c.id == offers.c.partner_id))
            .where(offers.c.id > last)
            .order_by(offers.c.id)
            .limit(BATCH)
        ).mappings().all()
        if not rows:
            break
        places = {}
        for offer_id, venue, city in bind.execute(
            sa.select(sessions.c.offer_id, sessions.c.venue, sessions.c.city)
            .where(sessions.c.offer_id.in_([r['id'] for r in rows]))
            .order_by(sessions.c.id)
        ):
            places.setdefault(offer_id, []).extend((venue, city))
        bind.execute(
            update, [{'offer_id': r['id'], **_columns(r, places.get(r['id'], []))} for r in rows]
        )
        last = rows[-1]['id']
    if bind.dialect.name == 'sqlite':
        create_sqlite_index(bind)
    elif bind.dialect.name == 'postgresql':
        create_postgresql_vocabulary()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for trigger in ('offers_fts_insert', 'offers_fts_delete', 'offers_fts_update'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS offers_vocab")
        op.execute("DROP TABLE IF EXISTS offers_fts")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS offers_vocab_add ON offers")
        op.execute("DROP FUNCTION IF EXISTS offers_vocab_add()")
        op.execute("DROP TABLE IF EXISTS offers_vocab")
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_column('search_key')
