"""The Alembic migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL, and go down and up again on a fresh database; ``flask db`` drives them."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from catalog.models import is_search_index_table
from shop import create_app
from shop.db import Base
from shop.migrate import alembic_config
from tests.harness import base_overrides, dispose_engine

# PostgreSQL-only indexes the migrations alone know: the catalog's full-text expression,
# the trigram indexes of partial order numbers and the agent search (0020).
MIGRATION_ONLY_INDEXES = {
    "ix_offers_search",
    "ix_orders_number_trgm",
    "ix_dossier_agents_search_key_trgm",
}


def _diffs(connection: Any) -> list[Any]:
    ctx = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        d
        for d in compare_metadata(ctx, Base.metadata)
        if not (d[0] == "remove_index" and d[1].name in MIGRATION_ONLY_INDEXES)
        # SQLite's FTS5 table and its shadow tables (R-CAT-5) are made by the migration only.
        and not (d[0] == "remove_table" and is_search_index_table(d[1].name))
    ]


def test_migrated_schema_matches_the_models(app: Any) -> None:
    """The test database itself was built by the migrations (tests/conftest.py)."""
    with app.extensions["db"].engine.connect() as conn:
        assert _diffs(conn) == []


def test_downgrade_to_base_and_up_again(app: Any, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    cfg = alembic_config(app)
    cfg.set_main_option("sqlalchemy.url", url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            assert _diffs(conn) == []
    finally:
        engine.dispose()


def test_db_commands_upgrade_downgrade_current_history(smtp_server: Any, tmp_path: Any) -> None:
    """``flask db upgrade | downgrade | current | history`` on a database of their own."""
    local = create_app(
        base_overrides(smtp_server[1], DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")
    )
    runner = local.test_cli_runner()

    def db(*args: str) -> str:
        result = runner.invoke(args=["db", *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    scripts = ScriptDirectory.from_config(alembic_config(local))
    head = scripts.get_current_head()
    assert head is not None
    previous = scripts.get_revision(head).down_revision
    assert isinstance(previous, str)
    try:
        assert db("current").strip() == ""

        assert db("upgrade") == "Base à jour (head).\n"
        assert db("current").strip() == f"{head} (head)"
        history = db("history")
        assert all(rev.revision in history for rev in scripts.walk_revisions())
        (marked,) = [line for line in history.splitlines() if "(current)" in line]
        assert f"-> {head} (head) (current)" in marked

        assert db("downgrade", "-1") == "Base ramenée à -1.\n"
        assert db("current").strip() == previous
        assert f"-> {previous} (current)" in db("history")

        refused = runner.invoke(args=["db", "downgrade"])
        assert refused.exit_code == 2, refused.output
        assert db("current").strip() == previous

        db("downgrade", "base")
        assert db("current").strip() == ""
        assert set(inspect(local.extensions["db"].engine).get_table_names()) <= {"alembic_version"}

        db("upgrade")
        with local.extensions["db"].engine.connect() as conn:
            assert _diffs(conn) == []
    finally:
        dispose_engine(local)
