"""What the conftest files build the test apps from: the database the tests run on, the
app's overrides, the schema reset, a settable clock, the local SMTP server's mailbox, and
a second app that commits for real (``committing_app``, ``close_app``). Import these from
here; a conftest holds fixtures only."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import text

from shop import create_app
from shop.db import Base
from shop.extensions import limiter

_TMP = tempfile.mkdtemp(prefix="cgos-tests-")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.db"
IS_POSTGRES = DATABASE_URL.startswith("postgresql")


class Mailbox:
    """Messages received by the local SMTP server."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._cond = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()
        return "250 OK"

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")
                self._cond.wait(left)
            return list(self.messages)

    @staticmethod
    def text_of(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""


def wait_until(done: Any, timeout: float = 5.0) -> bool:
    """Poll ``done()`` until it is true or ``timeout`` passed: a Redis expiry is awaited,
    not guessed with a sleep sized for a fast machine. Returns ``done()``'s last answer."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)
    return bool(done())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_mail(box: Mailbox) -> Iterator[int]:
    """A local SMTP server delivering to ``box`` on a free loopback port; yields the port."""
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def reset_schema(app: Any) -> None:
    """Empty database, then the Alembic migrations: the tests run on the real schema."""
    from shop.migrate import upgrade

    engine = app.extensions["db"].engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        with engine.begin() as conn:  # the FTS5 table is the migrations' (R-CAT-5)
            conn.execute(text("DROP TABLE IF EXISTS offers_vocab"))
            conn.execute(text("DROP TABLE IF EXISTS offers_fts"))
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(app)


def dispose_engine(app: Any) -> None:
    """Close an app's pooled connections once this process's mail sender is done with them:
    a connection the sender thread still held would go back to the discarded pool and be
    garbage-collected open (a ResourceWarning, an error in this suite)."""
    from shop import mail_thread

    mail_thread.join(10)
    app.extensions["db"].engine.dispose()


def truncate_all(app: Any) -> None:
    """For tests that commit for real (browser, concurrency)."""
    engine = app.extensions["db"].engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


class Clock:
    """A settable clock; ``None`` means the real time."""

    def __init__(self) -> None:
        self.current: datetime | None = None

    def __call__(self) -> datetime:
        return self.current or datetime.now(UTC)

    def set(self, value: datetime | date | str) -> None:
        """Accepts an aware datetime, a naive Paris datetime, a date (noon Paris) or ISO text."""
        from shop.clock import PARIS

        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, 12, 0)
        if value.tzinfo is None:
            value = value.replace(tzinfo=PARIS)
        self.current = value

    def advance(self, **kwargs: float) -> None:
        self.current = self() + timedelta(**kwargs)


def base_overrides(smtp_port: int, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": DATABASE_URL,
        "INSTANCE_DIR": _TMP,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        # Flask-Limiter is one object per process: keep it on with a limit no test
        # reaches; test_security lowers the limit to check it.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_LOGIN": "100000 per minute",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT": 5,
        "MAIL_SUPPRESS_SEND": False,
        "SESSION_COOKIE_SECURE": False,
        "REDIS_URL": None,  # mails inline, whatever the developer's shell says
        **extra,
    }


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
