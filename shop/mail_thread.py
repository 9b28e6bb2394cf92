"""The in-process mail sender: without ``REDIS_URL`` no request waits on SMTP (R-ORD-6).

Each process has one daemon thread fed by a bounded queue of mail-id batches, started on
the first commit that queues mails, so in a worker gunicorn forked (a thread does not
survive ``fork``; the state is reset in the child). A batch the full queue refuses, or one
lost when the process stops, stays pending in the outbox for ``jobs run-due``.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

_Batch = tuple[Flask, Callable[[list[int]], Any], list[int]]


class _Sender:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Batch] | None = None
        self._thread: threading.Thread | None = None

    def submit(self, app: Flask, send: Callable[[list[int]], Any], mail_ids: list[int]) -> bool:
        """Hand a batch to the thread, which calls ``send(mail_ids)`` in an app context
        (the outbox passes its sender: this module imports nothing of it); False (logged)
        when it holds too much already."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._queue = queue.Queue(maxsize=int(app.config.get("MAIL_THREAD_QUEUE", 1000)))
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="mail-sender", daemon=True
                )
                self._thread.start()
            q = self._queue
            assert q is not None, "created above with the thread"
        try:
            q.put_nowait((app, send, mail_ids))
        except queue.Full:
            app.logger.warning("Envoi différé des courriels %s : file pleine", mail_ids)
            return False
        return True

    @staticmethod
    def _run(q: queue.Queue[_Batch]) -> None:
        while True:
            app, send, mail_ids = q.get()
            try:
                with app.app_context():
                    send(mail_ids)
            except Exception:  # noqa: BLE001 - the thread must outlive any one batch
                app.logger.exception("Envoi des courriels %s en échec", mail_ids)
            finally:
                q.task_done()

    def join(self, timeout: float) -> bool:
        """Wait until every batch handed so far is done (tests, shutdown); False on timeout."""
        with self._lock:
            q = self._queue
        if q is None:
            return True
        with q.all_tasks_done:
            return q.all_tasks_done.wait_for(lambda: q.unfinished_tasks == 0, timeout)

    def _after_fork(self) -> None:
        _Sender.__init__(self)  # the parent's thread and lock do not exist here


_sender = _Sender()
os.register_at_fork(after_in_child=_sender._after_fork)


def submit(app: Flask, send: Callable[[list[int]], Any], mail_ids: list[int]) -> bool:
    return _sender.submit(app, send, mail_ids)


def join(timeout: float = 10.0) -> bool:
    return _sender.join(timeout)
