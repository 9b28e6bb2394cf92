"""Issue 21: the pure parts of the Lighthouse bench (``bench/lighthouse.py``): the summary
of a Lighthouse JSON report, the medians over runs, the printed table and the command
line. Lighthouse itself is a bench, never run by the tests."""

from __future__ import annotations

import json
from pathlib import Path

from bench.lighthouse import (
    CHROME_FLAGS,
    agent_code,
    failing_over_runs,
    lighthouse_argv,
    median_row,
    summarize,
    table,
)

REPORT = Path(__file__).parent / "data" / "lighthouse-report.json"


def _report() -> dict:
    return json.loads(REPORT.read_text(encoding="utf-8"))


def test_summary_has_the_scores_the_metrics_and_what_costs_points():
    summary = summarize(_report())
    assert summary["url"] == "http://127.0.0.1:8160/panier/"
    assert summary["form_factor"] == "mobile"
    assert (summary["performance"], summary["accessibility"]) == (97, 96)
    assert (summary["fcp_ms"], summary["lcp_ms"], summary["tbt_ms"]) == (921, 1422, 0)
    assert summary["si_ms"] == 1004
    assert summary["cls"] == 0.012
    assert summary["bytes"] == 25699
    assert summary["runtime_error"] is None
    # Worst first; metrics, passed, informative and not applicable audits left out.
    assert summary["accessibility_failing"] == ["color-contrast"]
    assert summary["performance_failing"] == [
        "render-blocking-insight (Est savings of 240 ms)",
        "unminified-css (Est savings of 4 KiB)",
    ]


def test_summary_of_a_failed_run_has_no_score():
    summary = summarize(
        {
            "requestedUrl": "http://127.0.0.1:8160/",
            "runtimeError": {"code": "NO_FCP", "message": "…"},
            "categories": {"performance": {"score": None, "auditRefs": []}},
            "audits": {},
        }
    )
    assert summary["performance"] is None and summary["accessibility"] is None
    assert summary["lcp_ms"] is None
    assert summary["runtime_error"] == "NO_FCP"


def test_medians_over_runs_and_the_spread_of_the_performance_score():
    base = summarize(_report())
    runs = [
        dict(base, performance=99, lcp_ms=1400),
        dict(base, performance=91, lcp_ms=2100),
        dict(base, performance=97, lcp_ms=1500),
    ]
    row = median_row(runs)
    assert (row["performance"], row["performance_min"], row["performance_max"]) == (97, 91, 99)
    assert row["lcp_ms"] == 1500 and row["accessibility"] == 96 and row["runs"] == 3
    printed = table({"cart": row}).splitlines()
    assert printed[0].split() == ["page", "perf", "a11y", "FCP", "ms", "LCP", "ms", "TBT", "ms",
                                  "CLS", "kB"]  # fmt: skip
    assert printed[1].split() == ["cart", "97", "91–99", "96", "921", "1500", "0", "0.012", "25.1"]


def test_what_costs_points_is_listed_once_per_audit_over_the_runs():
    runs = [
        {"performance_failing": ["render-blocking-insight (Est savings of 50 ms)", "x-insight"]},
        {"performance_failing": ["render-blocking-insight (Est savings of 80 ms)"]},
        {"performance_failing": ["render-blocking-insight (Est savings of 50 ms)"]},
    ]
    assert failing_over_runs(runs, "performance") == [
        "render-blocking-insight (Est savings of 50 ms / Est savings of 80 ms)",
        "x-insight",
    ]


def test_command_line_mobile_default_cookie_in_extra_headers_and_debian_chromium(tmp_path):
    argv = lighthouse_argv(
        "http://127.0.0.1:8160/", "cgos_session=abc", tmp_path / "home.json", "/usr/bin/chromium"
    )
    assert "--chrome-path=/usr/bin/chromium" in argv
    assert f"--chrome-flags={CHROME_FLAGS}" in argv and "--no-sandbox" in CHROME_FLAGS
    assert "--only-categories=performance,accessibility" in argv
    headers = next(a for a in argv if a.startswith("--extra-headers="))
    assert json.loads(headers.split("=", 1)[1]) == {"Cookie": "cgos_session=abc"}
    assert not any(a.startswith(("--form-factor", "--preset", "--screenEmulation")) for a in argv)


def test_the_agent_s_code_is_read_from_seed_demo_s_output():
    printed = "Agents (page /connexion …) :\n  34567890D  code 3EZKP3MF  Karim Benali — rien\n"
    assert agent_code(printed, "34567890D") == "3EZKP3MF"
