"""SQLite's planner statistics kept up to date as the history grows (issue 20).

Without ``sqlite_stat1`` SQLite guesses that every index is selective: on a long history
it read a month's order list through the index of the order status (« paid » for nearly
every row) instead of the one of the date, 200 ms instead of 2. PostgreSQL's autovacuum
analyses its tables by itself; SQLite does not, so a due task does it for each table that
has no statistics yet or has doubled since it was last analysed. ``max(rowid)`` estimates
a table's size from its b-tree in a few page reads (a count confirms it, rows purged
leaving gaps), and ``analysis_limit`` bounds the work
of ``ANALYZE`` to a sample of each index, so a run that finds nothing to do costs little
and one that does stays short (200 000 orders: well under a second).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from shop.db import get_db, unit_of_work
from shop.jobs import due_task

ANALYSIS_LIMIT = 1000  # rows sampled per index (SQLite's recommended order of magnitude)
MIN_ROWS = 100  # a table smaller than this is read whole whatever the plan


def stale_tables(conn: Connection) -> list[str]:
    """Tables with rows and no statistics, or at least twice the rows last analysed."""
    names = conn.scalars(
        text(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE '%WITHOUT ROWID%' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        )
    ).all()
    has_stat = conn.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    )
    analysed: dict[str, int] = {}
    if has_stat:
        for table, stat in conn.execute(text("SELECT tbl, stat FROM sqlite_stat1")):
            analysed[table] = max(analysed.get(table, 0), int(str(stat).split()[0]))
    stale = []
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        last = analysed.get(name, 0)
        estimate = conn.scalar(text(f"SELECT max(rowid) FROM {quoted}")) or 0  # noqa: S608
        if estimate < MIN_ROWS or estimate < 2 * last:
            continue
        # Rows purged leave max(rowid) above the count: count before deciding.
        rows = conn.scalar(text(f"SELECT count(*) FROM {quoted}")) or 0  # noqa: S608
        if rows >= MIN_ROWS and rows >= 2 * last:
            stale.append(name)
    return stale


@due_task("db.statistics", "Met à jour les statistiques de SQLite des tables qui ont doublé")
def refresh_statistics() -> int:
    """ANALYZE each stale table (SQLite only); returns how many were analysed."""
    if get_db().dialect != "sqlite":
        return 0
    with unit_of_work() as s:
        conn = s.connection()
        stale = stale_tables(conn)
        if stale:
            conn.execute(text(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}"))
        for name in stale:
            conn.execute(text('ANALYZE "' + name.replace('"', '""') + '"'))
    return len(stale)
