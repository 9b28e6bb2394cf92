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
import shop.audit  # noqa: F401
import shop.mail  # noqa: F401
import support.models  # noqa: F401
import vacations.models  # noqa: F401
from shop.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
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
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
