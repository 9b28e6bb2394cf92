"""Concurrency tests: a separate app that commits for real, hit by parallel connections.

Like the e2e live app, ``committing_app`` has its own engine and pool, shares the test
database (migrated by the session ``app`` fixture) and commits for real: its tables are
emptied before and after each test. Tests marked ``postgres_only`` are skipped on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shop import create_app
from tests.harness import IS_POSTGRES, Clock, Mailbox, base_overrides, dispose_engine, truncate_all


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres_only") and not IS_POSTGRES:
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL=postgresql+psycopg://…)")


@pytest.fixture(scope="module")
def _committing_app(app: Any, smtp_server: tuple[Mailbox, int]) -> Iterator[Any]:
    """One real-committing app per module; ``app`` is a dependency so the schema exists."""
    _mailbox, smtp_port = smtp_server
    real_app = create_app(base_overrides(smtp_port))
    assert real_app.extensions["db"] is not app.extensions["db"]
    real_app.extensions["clock"] = Clock()
    try:
        yield real_app
    finally:
        truncate_all(real_app)
        dispose_engine(real_app)


@pytest.fixture
def committing_app(_committing_app: Any) -> Iterator[Any]:
    """The real-committing app on empty tables, emptied again afterwards."""
    truncate_all(_committing_app)
    try:
        yield _committing_app
    finally:
        truncate_all(_committing_app)
