"""Alembic environment: the store's metadata, the URL or connection handed in by the CLI."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

# Every model module, so the metadata holds every table (autogenerate, the schema test).
import auth.models  # noqa: F401
import catalog.models  # noqa: F401
import members.models  # noqa: F401
import orders.models  # noqa: F401
import partners.models  # noqa: F401
import reports.models  # noqa: F401
import shop.audit  # noqa: F401
import shop.mail  # noqa: F401
import support.models  # noqa: F401
import vacations.models  # noqa: F401
from catalog.models import is_search_index_table
from shop.db import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001, ANN201
    """Autogenerate leaves SQLite's full-text index alone: the FTS5 table and its shadow
    tables are made by migration 0022, not described by the models."""
    return not (
        type_ == "table" and reflected and compare_to is None and is_search_index_table(name)
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=conn.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
