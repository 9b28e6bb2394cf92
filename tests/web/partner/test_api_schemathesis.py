"""Schemathesis against /api/v1/openapi.json (R-PAR-6): every phase, every check, zero
failures, on the database the suite runs on.

The store is served on a loopback port by the real-committing app (reads outside a
transaction, as deployed), over a partner's realistic data; the pinned schemathesis CLI runs
in its own process with the partner's token, deterministic generation and bounded examples. It marks
parcels shipped and scans tickets for real: the tables are emptied before and after.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.web.partner.world import World, seed_world

EXAMPLES_PER_OPERATION = 25
RUN_TIMEOUT_SECONDS = 240


@pytest.fixture
def live_api(committing_app: Any) -> Iterator[tuple[str, World]]:
    world = seed_world(committing_app, orders_to_ship=4)
    server = make_server("127.0.0.1", 0, committing_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-under-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", world
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_r_par_6_schemathesis_finds_no_failure(live_api: tuple[str, World], tmp_path) -> None:
    base, world = live_api
    command = [
        sys.executable,  # the pinned schemathesis of this environment
        "-m",
        "schemathesis.cli",
        "run",
        f"{base}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {world.token}",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        cwd=tmp_path,
        check=False,
    )
    report = run.stdout[-20_000:] + run.stderr[-5_000:]
    assert run.returncode == 0, report
    assert "No issues found" in run.stdout or " passed" in run.stdout, report
