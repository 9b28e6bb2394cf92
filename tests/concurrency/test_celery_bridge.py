"""The Celery bridge for real (RULES.md §13 REDIS_URL, R-ORD-6): a worker (and beat) started
with the README's commands on the local Redis, database 15, flushed before and after.

Without REDIS_URL the suite's other tests already cover the in-process path (mails sent
after commit, ``jobs run-due``). Each test here is bounded: processes are terminated in a
``finally`` and every wait has a deadline of a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from orders.models import Order
from shop import clock, create_app, jobs
from shop.db import session, unit_of_work
from shop.mail import MailStatus, OutboxMail
from tests.concurrency.helpers import (
    Buyer,
    fill_cart,
    household_used,
    rush,
    seed_agents,
    seed_offer,
    session_stock,
)
from tests.harness import Clock, Mailbox, base_overrides, dispose_engine, free_port, truncate_all
from tests.processes import REDIS_TEST_URL, WORKER, celery_process, wait_until


@pytest.fixture(scope="module")
def redis_db() -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379 ({exc}): cannot run a worker")
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def _real_app(app: Any, smtp_port: int, **overrides: Any) -> Any:
    bridge = create_app(base_overrides(smtp_port, **overrides))
    assert bridge.extensions["db"] is not app.extensions["db"]
    bridge.extensions["clock"] = Clock()
    return bridge


@contextmanager
def _committing(bridge: Any) -> Iterator[Any]:
    truncate_all(bridge)
    try:
        yield bridge
    finally:
        truncate_all(bridge)
        if "celery" in bridge.extensions:
            bridge.extensions["celery"].close()
        dispose_engine(bridge)


@pytest.fixture
def bridge_app(app: Any, smtp_server: tuple[Mailbox, int], redis_db: Any) -> Iterator[Any]:
    """A real-committing app whose background work goes to Redis database 15 (emptied
    before and after: no task of one test is left for the next one's worker)."""
    redis_db.flushdb()
    try:
        with _committing(_real_app(app, smtp_server[1], REDIS_URL=REDIS_TEST_URL)) as bridge:
            yield bridge
    finally:
        redis_db.flushdb()


def _order(bridge: Any, order_id: int) -> Order:
    with bridge.app_context():
        return session().get(Order, order_id)


def _mail_statuses(bridge: Any) -> list[str]:
    with bridge.app_context():
        return list(session().scalars(select(OutboxMail.status).order_by(OutboxMail.id)))


def test_worker_runs_a_due_task_and_sends_the_mails_after_commit(
    bridge_app: Any,
    redis_db: Any,
    mailbox: Mailbox,
    smtp_server: tuple[Mailbox, int],
    tmp_path: Path,
) -> None:
    """R-PAY-2 via the queue: an unpaid card order past its 30 minutes is released by the
    ``orders.expire`` task run on a worker; the confirmation mail placed in the request
    is handed to the worker after commit, not sent in-process."""
    app = bridge_app
    offer_id, session_id = seed_offer(app, session_stock=5)
    (number,) = seed_agents(app, 1, household_id="H-CELERY")
    total = fill_cart(app, number, offer_id, session_id)
    placed = rush(app, [Buyer(number, total)], timeout=10)
    assert not placed.errors and len(placed.placed) == 1, placed.describe_errors()
    order_id = placed.placed[0].order_id
    assert session_stock(app, session_id) == 4

    # Committed, queued in Redis, not sent by the request itself.
    assert _mail_statuses(app) == [MailStatus.PENDING]
    assert redis_db.llen("celery") == 1
    assert mailbox.messages == []

    with app.app_context():
        with unit_of_work():
            session().execute(
                update(Order)
                .where(Order.id == order_id)
                .values(expires_at=clock.utcnow() - timedelta(minutes=1))
            )
        assert jobs.enqueue(jobs.RUN_TASK, "orders.expire")
    assert redis_db.llen("celery") == 2

    log = tmp_path / "worker.log"
    with celery_process(WORKER, smtp_server[1], log):
        took = wait_until(
            lambda: _order(app, order_id).status == "cancelled" and len(mailbox.messages) >= 2,
            log,
            "order expired by the worker and two mails sent",
        )
    print(f"\nworker start-up + expiry + 2 mails: {took:.1f} s")

    assert session_stock(app, session_id) == 5
    with app.app_context():
        assert household_used(app, "H-CELERY", clock.today().year) == 0
    assert _mail_statuses(app) == [MailStatus.SENT, MailStatus.SENT]
    subjects = sorted(m["Subject"] for m in mailbox.wait_for(2))
    assert any("annulée" in s for s in subjects), subjects
    assert redis_db.llen("celery") == 0


def test_beat_enqueues_every_due_task_on_schedule(
    bridge_app: Any,
    redis_db: Any,
    mailbox: Mailbox,
    smtp_server: tuple[Mailbox, int],
    tmp_path: Path,
) -> None:
    """``celery beat`` (every second here, every minute by default) runs
    ``mail.retry_pending``: a mail left pending by an SMTP outage goes out on its own."""
    app = bridge_app
    schedule = jobs.celery_config(app)["beat_schedule"]
    assert set(schedule) == {f"due:{t.name}" for t in jobs.registered()}
    assert {"due:orders.expire", "due:mail.retry_pending"} <= set(schedule)
    assert all(e["schedule"] == 60 and e["task"] == jobs.RUN_TASK for e in schedule.values())

    with app.app_context(), unit_of_work() as s:
        s.add(
            OutboxMail(
                created_at=clock.utcnow(),
                to="agent@exemple.fr",
                subject="Courriel resté en attente",
                body_text="Bonjour",
                kind="test",
                status=MailStatus.PENDING,
                attempts=1,
            )
        )

    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    beat = ["beat", f"--schedule={tmp_path / 'celerybeat-schedule'}"]
    with (
        celery_process(WORKER, smtp_server[1], worker_log),
        celery_process(beat, smtp_server[1], beat_log, JOBS_INTERVAL_SECONDS="1"),
    ):
        took = wait_until(
            lambda: _mail_statuses(app) == [MailStatus.SENT], worker_log, "pending mail sent"
        )
    print(f"\nworker + beat start-up + scheduled retry: {took:.1f} s")
    (msg,) = mailbox.wait_for(1)
    assert msg["Subject"] == "Courriel resté en attente"
    assert "due:mail.retry_pending" in beat_log.read_text(errors="replace")


def test_r_ord_6_broker_down_the_order_stands_and_its_mail_still_goes(
    app: Any, smtp_server: tuple[Mailbox, int], mailbox: Mailbox
) -> None:
    """REDIS_URL set but nothing listening: the checkout does not fail nor hang, the mail
    is sent in-process instead (with the SMTP timeout)."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with _committing(_real_app(app, smtp_server[1], REDIS_URL=dead)) as bridge:
        offer_id, session_id = seed_offer(bridge, session_stock=5)
        (number,) = seed_agents(bridge, 1)
        total = fill_cart(bridge, number, offer_id, session_id)
        started = time.perf_counter()
        placed = rush(bridge, [Buyer(number, total)], timeout=15)
        took = time.perf_counter() - started
        assert not placed.errors and len(placed.placed) == 1, placed.describe_errors()
        print(f"\ncheckout with the broker down: {took:.2f} s")
        assert took < 10, f"checkout took {took:.1f} s with the broker down"
        assert _mail_statuses(bridge) == [MailStatus.SENT]
        (msg,) = mailbox.wait_for(1)
        assert msg["Subject"].startswith("Votre commande")
