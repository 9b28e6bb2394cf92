"""Mails leave through the Celery worker, as deployed: the requests that placed and paid
the seeded orders only queued them in Redis; the worker sent them to the SMTP server."""

from __future__ import annotations

import time
from typing import Any

from tests.harness import Mailbox

DEADLINE_SECONDS = 30  # the worker drains the outbox a moment after each commit


def test_order_mails_are_sent_by_the_celery_worker(
    world: Any, smtp_server: tuple[Mailbox, int]
) -> None:
    box, _port = smtp_server
    number = world.orders["agent_a"][0]  # paid by card (demonstration payment)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        mine = [
            m
            for m in list(box.messages)
            if "marie.dupont@exemple.fr" in str(m["To"]) and number in Mailbox.text_of(m)
        ]
        if len(mine) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(mine) >= 2, (  # placed, then paid with its e-billets
        [m["Subject"] for m in box.messages],
        world.stack.worker_log.read_text(errors="replace")[-3000:],
    )
    log = world.stack.worker_log.read_text(errors="replace")
    assert "Task shop.mail.drain[" in log and "] received" in log
