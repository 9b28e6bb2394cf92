"""Registry of due tasks, run once each by ``flask --app wsgi jobs run-due`` (cron).

Each task is idempotent: it takes its locks and re-checks state, so running it twice, or
from two processes, does nothing more than once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class DueTask:
    name: str
    func: Callable[[], int]
    description: str


_REGISTRY: dict[str, DueTask] = {}


def due_task(name: str, description: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register a function returning how many things it handled."""

    def decorator(func: Callable[[], int]) -> Callable[[], int]:
        _REGISTRY[name] = DueTask(name, func, description)
        return func

    return decorator


def registered() -> list[DueTask]:
    return sorted(_REGISTRY.values(), key=lambda t: t.name)


def run_due() -> dict[str, int]:
    """Run every registered task once; a failing task is logged and does not stop the rest."""
    results: dict[str, int] = {}
    for task in registered():
        try:
            results[task.name] = task.func()
        except Exception:
            current_app.logger.exception("Tâche %s en échec", task.name)
            results[task.name] = -1
    return results
