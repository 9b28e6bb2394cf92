"""Servers the production-mode and fault tests run on the loopback, each owned and stopped
by the test that started it: a fault test may stop and restart its own Redis without
touching the machine's (which other suites and the benchmark use)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.harness import DATABASE_URL, free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    """Until something accepts connections on ``host:port``; AssertionError after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {host}:{port} after {timeout} s")


class RedisServer:
    """A private ``redis-server`` (no persistence) that a test can stop and start again on
    the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = Path(tempfile.mkdtemp(prefix="cgos-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        self._process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        """Kill it (SIGKILL: an outage, not a shutdown)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


# -- a Celery worker or beat on the machine's Redis (the Celery bridge and fault tests) ----

ROOT = Path(__file__).resolve().parents[1]
# A developer running several suites at once gives each its own database.
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WAIT_SECONDS = 20  # worker start-up (imports, app) included; it usually takes 2-3 s


@contextmanager
def celery_process(
    command: list[str], smtp_port: int, log: Path, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``celery -A shop.celery_app <command>`` with the test database and SMTP server."""
    environ = {
        **os.environ,
        "REDIS_URL": REDIS_TEST_URL,
        "DATABASE_URL": DATABASE_URL,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_TIMEOUT": "5",
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_STORAGE_URI": "memory://",
        **env,
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop.celery_app", *command, "-l", "INFO"],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


WORKER = [
    "worker",
    "--pool=solo",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    f"--hostname=cgos-test-{os.getpid()}@127.0.0.1",
]


def wait_until(check: Callable[[], bool], log: Path, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > WAIT_SECONDS:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise AssertionError(f"{what}: not seen within {WAIT_SECONDS} s\n{tail}")
        time.sleep(0.1)
    return time.monotonic() - started
