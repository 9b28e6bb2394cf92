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

from tests.web.partner.world import World

EXAMPLES_PER_OPERATION = 25
RUN_TIMEOUT_SECONDS = 240


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
