"""The Alembic migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL, and go down and up again on a fresh database."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from shop.db import Base
from shop.migrate import alembic_config

# PostgreSQL's full-text index is an expression only the migration knows (catalog search).
MIGRATION_ONLY_INDEXES = {"ix_offers_search"}


def _diffs(connection: Any) -> list[Any]:
    ctx = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        d
        for d in compare_metadata(ctx, Base.metadata)
        if not (d[0] == "remove_index" and d[1].name in MIGRATION_ONLY_INDEXES)
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
