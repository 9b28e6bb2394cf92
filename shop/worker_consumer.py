"""The Celery worker's consumer, made to survive a broker blip (R-SEC-3).

celery 5.7.0 collects the broken broker connection and then closes it again. With a
message delivered but not acknowledged yet (a task acknowledged late, or one waiting in
the prefetch), that second close makes kombu restore it through the transport the collect
has just detached, raises ``AttributeError: 'NoneType' object has no attribute
'hostname'``, and the worker exits ("Unrecoverable error") instead of reconnecting.
celery 5.6 only collected; here the second close may fail like any other error on a dead
connection. The message stays in Redis's unacked set and comes back after the visibility
timeout; every task is idempotent, and mails not sent stay pending for
``mail.retry_pending``. (The other half of the fix: tasks are acknowledged on start, see
``shop.jobs.celery_config``.)
"""

from __future__ import annotations

import logging
from typing import Any

from celery.worker.consumer import Consumer

log = logging.getLogger(__name__)


class ResilientConsumer(Consumer):
    """celery's consumer, but closing the collected connection cannot kill the worker."""

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        connection = self.connection
        if connection is not None:
            close = connection.close

            def _close_dead_connection() -> Any:
                try:
                    return close()
                except AttributeError as error:  # celery 5.7.0 / kombu 5.7.0 regression
                    log.warning("Connexion au courtier déjà libérée : %r", error)
                    return None

            connection.close = _close_dead_connection
        super().on_connection_error_after_connected(exc)
