"""Defect 12 (R-SEC-3): ``flask --app wsgi health`` says which component is down.

Each component for real on the loopback — the test database, a private redis-server, the
aiosmtpd server, the HTTP dossier service — then each one stopped, failing or hanging in
turn: its line says « ÉCHEC », the others stay « ok », and the command exits 1 within its
timeout. Not configured is not down.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shop import create_app
from shop.extensions import limiter
from shop.health import HEARTBEAT_KEY, heartbeat
from tests.dossier_standin import FakeDossierService
from tests.harness import base_overrides, dispose_engine, free_port

NAMES = ("base de données", "redis", "worker", "smtp", "service des dossiers")


@pytest.fixture
def health(
    app: Any, private_redis: Any, smtp_server: Any, dossier_service: FakeDossierService
) -> Iterator[Callable[..., tuple[int, dict[str, str]]]]:
    """``health(**overrides)`` runs the command in an app where every component is
    configured (unless overridden) and returns its exit code and line per component."""
    saved = (limiter._storage, limiter._limiter, limiter._storage_dead)
    made: list[Any] = []

    def _run(**overrides: Any) -> tuple[int, dict[str, str]]:
        settings = {
            "REDIS_URL": private_redis.url,
            "DOSSIER_SERVICE_URL": dossier_service.url,
            "HEALTH_TIMEOUT_SECONDS": 1.0,
            **overrides,
        }
        checked = create_app(base_overrides(smtp_server[1], **settings))
        made.append(checked)
        started = time.monotonic()
        result = checked.test_cli_runner().invoke(args=["health"])
        assert time.monotonic() - started < 5, "the health command must not hang"
        lines = dict(line.split(" : ", 1) for line in result.stdout.splitlines())
        assert tuple(lines) == NAMES, result.stdout
        return result.exit_code, lines

    try:
        yield _run
    finally:
        limiter._storage, limiter._limiter, limiter._storage_dead = saved
        for checked in made:
            dispose_engine(checked)


def _beat(private_redis: Any, age: float = 0) -> None:
    """What the worker's ``worker.heartbeat`` run writes, ``age`` seconds ago."""
    import redis

    client = redis.Redis.from_url(private_redis.url)
    try:
        client.set(f"cgos:cache:{HEARTBEAT_KEY}", repr(time.time() - age))
    finally:
        client.close()


def _only_down(lines: dict[str, str], *names: str) -> None:
    for name, line in lines.items():
        assert line.startswith("ÉCHEC") == (name in names), (name, line)


def test_health_all_up(health: Any, private_redis: Any) -> None:
    _beat(private_redis)
    code, lines = health()
    assert code == 0, lines
    assert all(line.startswith("ok") for line in lines.values()), lines


def test_health_nothing_configured_is_not_down(health: Any) -> None:
    code, lines = health(REDIS_URL=None, MAIL_SERVER=None, DOSSIER_SERVICE_URL=None)
    assert code == 0, lines
    assert lines["base de données"] == "ok"
    for name in NAMES[1:]:
        assert lines[name].startswith("non configuré"), lines


def test_health_worker_heartbeat_written_by_the_due_task(
    health: Any, private_redis: Any, smtp_server: Any
) -> None:
    code, lines = health()
    assert code == 1 and lines["worker"] == "ÉCHEC (aucun signe de vie)", lines
    # What a worker does when beat hands it the due task.
    worker_app = create_app(base_overrides(smtp_server[1], REDIS_URL=private_redis.url))
    try:
        with worker_app.app_context():
            assert heartbeat() == 1
    finally:
        dispose_engine(worker_app)
    code, lines = health()
    assert code == 0 and lines["worker"].startswith("ok"), lines


def test_health_each_component_down(
    health: Any, private_redis: Any, dossier_service: FakeDossierService
) -> None:
    _beat(private_redis, age=10 * 60)  # the worker stopped ten minutes ago
    code, lines = health()
    assert code == 1
    _only_down(lines, "worker")

    _beat(private_redis)
    dead = f"postgresql+psycopg://cgos@127.0.0.1:{free_port()}/cgos"
    code, lines = health(DATABASE_URL=dead)
    assert code == 1
    _only_down(lines, "base de données")

    code, lines = health(MAIL_PORT=free_port())
    assert code == 1
    _only_down(lines, "smtp")

    with socket.socket() as hung:  # accepts, never greets
        hung.bind(("127.0.0.1", 0))
        hung.listen()
        code, lines = health(MAIL_PORT=hung.getsockname()[1])
    assert code == 1
    _only_down(lines, "smtp")

    dossier_service.delay = 3.0
    for mode in ("500", "slow"):
        dossier_service.mode = mode
        code, lines = health()
        assert code == 1
        _only_down(lines, "service des dossiers")
    dossier_service.mode = "ok"

    private_redis.stop()
    code, lines = health()
    assert code == 1
    _only_down(lines, "redis", "worker")
