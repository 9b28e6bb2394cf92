"""Fixtures of the service tests: an empty database of the test backend for the migration
tests (each migration's up and down on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from shop.migrate import alembic_config


@pytest.fixture
def scratch(app: Any, tmp_path: Any) -> Iterator[tuple[Engine, Any]]:
    """An empty database of the test backend: a file on SQLite, a schema of its own on
    PostgreSQL (found first on the connection's search path), with the Alembic config."""
    url = app.config["DATABASE_URL"]
    schema = None
    if url.startswith("postgresql"):
        schema = f"mig_{uuid.uuid4().hex[:12]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        admin = None
        engine = create_engine(f"sqlite:///{tmp_path / 'migration.db'}")
    cfg = alembic_config(app)
    try:
        yield engine, cfg
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
