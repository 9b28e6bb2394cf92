"""The store as the README's "Production" section deploys it, started by a test.

``production_stack()`` runs ``gunicorn -c gunicorn.conf.py wsgi:app`` (sync workers from
the configuration file) and ``celery -A shop.celery_app worker`` in separate processes
with the same environment: the given database, a Redis (rate limits, caches, broker),
mails to the given SMTP port, ``TRUSTED_PROXY_COUNT=1`` as behind the README's proxy.
Plain module (no pytest) so that any test can start, HUP or stop the stack; every wait
has a deadline and every process is killed on the way out.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness import free_port
from tests.processes import wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET_KEY = "production-layer-secret-key"
START_SECONDS = 45  # a worker imports the whole app; the machine may be busy
STOP_SECONDS = 15
_BOOTED = re.compile(r"Booting worker with pid: (\d+)")


def stack_env(database_url: str, redis_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    """The environment every process of the deployment shares (README "Production")."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEST_", "GUNICORN_", "CELERY_", "FLASK_")) and k != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET_KEY,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        MAIL_TIMEOUT="5",
        # One TLS reverse proxy in front (README); the client sends its X-Forwarded-*.
        TRUSTED_PROXY_COUNT="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _wait(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            raise AssertionError(f"{what}: not within {timeout} s\n--- {log.name} ---\n{tail}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _proc_state(pid)


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGQUIT)  # quick shutdown (gunicorn), cold shutdown (celery)
    try:
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_SECONDS)


@dataclass
class Stack:
    """A running deployment: its URL, environment and logs."""

    url: str
    env: dict[str, str]
    logs: Path
    web: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    workers: int
    worker_pids: list[int] = field(default_factory=list)

    @property
    def web_log(self) -> Path:
        return self.logs / "gunicorn.log"

    @property
    def worker_log(self) -> Path:
        return self.logs / "celery-worker.log"

    def _booted(self) -> list[int]:
        text = self.web_log.read_text(errors="replace") if self.web_log.exists() else ""
        return [int(pid) for pid in _BOOTED.findall(text)]

    def wait_for_fresh_workers(self, before: int = 0) -> None:
        """Until ``workers`` new workers have booted (after the ``before`` first ones) and
        the older ones are gone: the next requests meet only fresh processes."""
        old = self._booted()[:before]
        _wait(
            lambda: (
                len(self._booted()) >= before + self.workers and not any(_alive(pid) for pid in old)
            ),
            START_SECONDS,
            "gunicorn workers booted",
            self.web_log,
        )
        self.worker_pids = self._booted()[before:]

    def live_workers(self) -> list[int]:
        """The worker processes alive now (the master replaces a killed one)."""
        return [pid for pid in self._booted() if _alive(pid)]

    def wait_for_workers(self) -> None:
        """Until the master runs ``workers`` live workers again."""
        _wait(
            lambda: len(self.live_workers()) >= self.workers,
            START_SECONDS,
            "gunicorn workers replaced",
            self.web_log,
        )

    def restart_web(self) -> None:
        """Stop gunicorn and start it again on the same address (a deploy, a reboot)."""
        _stop(self.web)
        before = len(self._booted())
        self.web = _start(_GUNICORN, self.env, self.web_log)
        wait_for_port(int(self.url.rsplit(":", 1)[1]), timeout=START_SECONDS)
        self.wait_for_fresh_workers(before)

    def hup(self) -> None:
        """``kill -HUP`` the master: new workers (configuration and code reloaded)."""
        before = len(self._booted())
        self.web.send_signal(signal.SIGHUP)
        self.wait_for_fresh_workers(before)

    def errors(self) -> list[str]:
        """Tracebacks and ERROR lines the web and worker processes logged."""
        found = []
        for log in (self.web_log, self.worker_log):
            text = log.read_text(errors="replace") if log.exists() else ""
            found += [
                f"{log.name}: {line}"
                for line in text.splitlines()
                if "Traceback" in line or line.startswith("ERROR") or "[ERROR]" in line
            ]
        return found


def _command(tool: str, *args: str) -> list[str]:
    exe = BIN / tool
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", tool, *args]


_GUNICORN = ("gunicorn", "-c", "gunicorn.conf.py", "wsgi:app")
_WORKER = ("celery", "-A", "shop.celery_app", "worker", "-l", "INFO")


def _start(command: tuple[str, ...], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            _command(*command), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


@contextmanager
def production_stack(
    database_url: str,
    redis_url: str,
    smtp_port: int,
    *,
    workers: int = 2,
    logs: Path | None = None,
    **extra_env: str,
) -> Iterator[Stack]:
    """gunicorn (``workers`` sync workers) and one Celery worker on the loopback."""
    logs = logs or Path(tempfile.mkdtemp(prefix="cgos-stack-"))
    port = free_port()
    env = stack_env(
        database_url,
        redis_url,
        smtp_port,
        WEB_CONCURRENCY=str(workers),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        # gunicorn's control socket there, not in the shared $HOME/.gunicorn/
        XDG_RUNTIME_DIR=str(logs),
        **extra_env,
    )
    worker = web = running = None
    try:
        worker = _start(_WORKER, env, logs / "celery-worker.log")
        web = _start(_GUNICORN, env, logs / "gunicorn.log")
        running = Stack(f"http://127.0.0.1:{port}", env, logs, web, worker, workers)
        wait_for_port(port, timeout=START_SECONDS)
        running.wait_for_fresh_workers()
        _wait(
            lambda: (
                " ready." in running.worker_log.read_text(errors="replace")
                or worker.poll() is not None
            ),
            START_SECONDS,
            "celery worker ready",
            running.worker_log,
        )
        assert worker.poll() is None, running.worker_log.read_text(errors="replace")[-4000:]
        yield running
    finally:
        for proc in (running.web if running else web, worker):  # web: maybe restarted
            if proc is not None:
                _stop(proc)
