"""R-SEC-3, defect 5b: a Redis blip while the worker sends mails must not kill it.

A real ``celery worker`` (prefork, as the README starts it) and ``celery beat`` on a
private redis-server; the test kills Redis while the worker is sending a batch of mails and
others wait in its prefetch, starts Redis again, and checks that the worker is still alive
and that every mail, queued before, during or after the blip, reaches the SMTP server
exactly once: what the blip took from the queue is sent by beat's ``mail.retry_pending``.
Then the health command sees the heartbeat, and misses it once the worker is gone.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from shop import clock, jobs, mail
from shop.db import session, unit_of_work
from shop.mail import MailStatus, OutboxMail
from tests.harness import close_app, committing_app
from tests.processes import WORKER, celery_process, wait_until

HOSTNAME = WORKER[-1]


def _queue_mails(app: Any, count: int, label: str) -> list[int]:
    with app.app_context(), unit_of_work() as s:
        mails = [
            OutboxMail(
                created_at=clock.utcnow(),
                to=f"agent{n}@exemple.fr",
                subject=f"{label} {n}",
                body_text="Bonjour",
                kind="test",
                status=MailStatus.PENDING,
                attempts=0,
            )
            for n in range(count)
        ]
        s.add_all(mails)
        s.flush()
        return [m.id for m in mails]


def _sent(app: Any) -> int:
    with app.app_context():
        n = session().scalar(select(func.count()).where(OutboxMail.status == MailStatus.SENT))
        session().rollback()
        return n


def _health(app: Any) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["health"])
    return result.exit_code, result.stdout


def test_r_sec_3_worker_survives_a_redis_blip_mid_task(
    app: Any, private_redis: Any, slow_smtp: Any, tmp_path: Path
) -> None:
    box, smtp_port = slow_smtp
    box.delay = 0.1  # 6 tasks of 5 mails: 3 s of sending
    real = committing_app(app, smtp_port, REDIS_URL=private_redis.url)
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    env = {"REDIS_URL": private_redis.url, "JOBS_INTERVAL_SECONDS": "1"}
    beat = ["beat", f"--schedule={tmp_path / 'celerybeat-schedule'}"]
    try:
        ids = _queue_mails(real, 30, "Avant")
        with real.app_context():
            for start in range(0, 30, 5):
                assert jobs.enqueue(mail.DELIVER_MAIL, *ids[start : start + 5])
        with (
            celery_process(
                ["worker", "--concurrency=1", HOSTNAME], smtp_port, worker_log, **env
            ) as worker,
            celery_process(beat, smtp_port, beat_log, **env) as beat_process,
        ):
            wait_until(lambda: len(box.messages) >= 3, worker_log, "the sending has started")
            private_redis.stop()
            during = _queue_mails(real, 5, "Pendant")
            with real.app_context():
                assert not jobs.enqueue(mail.DELIVER_MAIL, *during)  # left for beat's retry
            time.sleep(1.5)
            private_redis.start()
            time.sleep(2)
            for process, log in ((worker, worker_log), (beat_process, beat_log)):
                assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            after = _queue_mails(real, 5, "Après")
            with real.app_context():
                jobs.enqueue(mail.DELIVER_MAIL, *after)  # or beat's retry sends them
            wait_until(lambda: _sent(real) == 40, worker_log, "all 40 mails sent")
            assert worker.poll() is None and beat_process.poll() is None
            # Beat and the worker vouch for themselves (worker.heartbeat every second)...
            real.config["JOBS_INTERVAL_SECONDS"] = 1
            wait_until(lambda: _health(real)[0] == 0, worker_log, "health: all ok")
        # ... and once they are gone, the health command says so within 3 intervals.
        time.sleep(3.5)
        code, output = _health(real)
        assert code == 1 and "worker : ÉCHEC" in output, output
        assert "Unrecoverable error" not in worker_log.read_text(errors="replace")
        subjects = [m["Subject"] for m in box.messages]
        assert len(subjects) == len(set(subjects)) == 40, sorted(subjects)
    finally:
        close_app(real)
