"""The store's WSGI app, with the CPU time of each request summed per kind of request.

Served by ``bench.served_steps`` only (``gunicorn bench.timed_wsgi:app``): on SIGUSR2 a
worker writes its sums, as JSON, to ``$BENCH_STEPS_DIR/steps-<pid>.json``. The ids in a
path are folded (``/offre/N``), so that each step of a purchase is one line.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from wsgi import app

_NUMBERS = re.compile(r"\d+")
_SUMS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
_INNER = app.wsgi_app


def _timed(environ: dict[str, Any], start_response: Any) -> Any:
    started = time.process_time()
    try:
        return _INNER(environ, start_response)
    finally:
        kind = f"{environ['REQUEST_METHOD']} {_NUMBERS.sub('N', environ['PATH_INFO'])}"
        sums = _SUMS[kind]
        sums[0] += time.process_time() - started
        sums[1] += 1


def _write(*_args: Any) -> None:
    out = Path(os.environ["BENCH_STEPS_DIR"]) / f"steps-{os.getpid()}.json"
    out.write_text(json.dumps({kind: list(sums) for kind, sums in _SUMS.items()}))


app.wsgi_app = _timed  # type: ignore[method-assign]
signal.signal(signal.SIGUSR2, _write)
