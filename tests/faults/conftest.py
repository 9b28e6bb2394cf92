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

from tests.harness import Mailbox, serve_mail
from tests.processes import RedisServer, redis_server


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
