"""Helpers of the service tests."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy.engine import Engine


def migrate(engine: Engine, cfg: Any, how: str, revision: str) -> None:
    """``how`` is "upgrade" or "downgrade", run on ``engine`` in one transaction."""
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, how)(cfg, revision)
