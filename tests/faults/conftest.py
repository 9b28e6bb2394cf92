"""Fault tests (R-SEC-3): the store with a private Redis, SMTP server or dossier service
that the test itself stops, slows and restarts, on the loopback and bounded in time.

Each test gets a real-committing app (its tables emptied before and after), like the
concurrency tests: no savepoint-wrapped session hides what a real deployment does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from shop import create_app
from shop.extensions import limiter
from tests.conftest import (
    Clock,
    Mailbox,
    base_overrides,
    dispose_engine,
    serve_mail,
    truncate_all,
)
from tests.processes import RedisServer, redis_server
from tests.services.test_remote_dossier import dossier_service  # noqa: F401 - a fixture


class SlowMailbox(Mailbox):
    """A mailbox whose server takes ``delay`` seconds to accept each message, so a worker's
    drain of the outbox is still running when the test breaks Redis."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowMailbox, int]]:
    box = SlowMailbox()
    with serve_mail(box) as port:
        yield box, port


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def committing_app(app: Any, smtp_port: int, **overrides: Any) -> Any:
    """A second app on the test database that commits for real (``app`` made the schema).

    Flask-Limiter is one object per process: binding it to this app takes it from the
    session app, so ``close_app`` gives it back."""
    saved = (limiter._storage, limiter._limiter, limiter._storage_dead)
    real = create_app(base_overrides(smtp_port, **overrides))
    real.extensions["saved_limiter"] = saved
    assert real.extensions["db"] is not app.extensions["db"]
    real.extensions["clock"] = Clock()
    truncate_all(real)
    return real


def close_app(real: Any) -> None:
    limiter._storage, limiter._limiter, limiter._storage_dead = real.extensions["saved_limiter"]
    truncate_all(real)
    if "celery" in real.extensions:
        real.extensions["celery"].close()
    dispose_engine(real)
