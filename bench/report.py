"""Markdown tables from ``bench.run`` results:  ``python -m bench.report RESULT.json …``.

pretix figures come from the same result file when the run included ``--pretix``;
otherwise the ratios to pretix are left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def report(results: list[dict[str, Any]]) -> str:
    out: list[str] = []
    out.append("### Pages (wrk, 2 threads, 16 connections, agent session cookie)\n")
    out.append(
        "| db | page | req/s | p50 ms | p99 ms | errors | / trivial page | / pretix event page |"
    )
    out.append("|---|---|---|---|---|---|---|---|")
    for r in results:
        pretix_rps = (r.get("pretix") or {}).get("event_page", {}).get("rps")
        for name, row in r["reads"].items():
            vs_pretix = f"{row['rps'] / pretix_rps:.0f} ×" if pretix_rps and row["rps"] else "–"
            errors = row["non_2xx"] + (1 if row.get("socket_errors") else 0)
            out.append(
                f"| {r['db']} | {name} | {_f(row['rps'])} | {_f(row['p50_ms'])} | "
                f"{_f(row['p99_ms'])} | {errors} | {_pct(row['ratio_to_trivial'])} | {vs_pretix} |"
            )
    out.append("\n### Complete purchases (login, offer page, add, checkout, demo card)\n")
    out.append("| db | clients | completed | orders/s | p50 ms | p99 ms | errors | / pretix |")
    out.append("|---|---|---|---|---|---|---|---|")
    for r in results:
        px = r.get("pretix") or {}
        for row in r["checkout"].values():
            clients = row["clients"]
            ref = px.get("checkout_1" if clients == 1 else "checkout_8", {})
            ref_rate = ref.get("orders_per_s")
            ratio = f"{row['orders_per_s'] / ref_rate:.1f} ×" if ref_rate else "–"
            out.append(
                f"| {r['db']} | {clients} | {row['completed']} / {row['attempted']} | "
                f"{_f(row['orders_per_s'], 2)} | {_f(row['p50_ms'], 0)} | {_f(row['p99_ms'], 0)} "
                f"| {sum(row['errors'].values())} | {ratio} |"
            )
    out.append("\n### On-sale rush (buyers released together on one barrier, 100 seats)\n")
    out.append(
        "| db | buyers | orders | seconds | orders/min | seats sold (DB) | stock left "
        "| exact | what the others saw |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        rush = r["rush"]
        others = {k: v for k, v in rush["outcomes"].items() if k != "ordered"}
        out.append(
            f"| {r['db']} | {rush['buyers']} | {rush['orders']} | {_f(rush['elapsed_s'], 2)} | "
            f"{rush['orders_per_minute']} | {rush['seats_sold']} | "
            f"{rush['database']['stock_left']} | {'yes' if rush['exact'] else 'NO'} | "
            f"{json.dumps(others, ensure_ascii=False)} |"
        )
    out.append("\n### SQL statements (in process, demo catalog → large catalog)\n")
    out.append("| db | what | demo catalog (≈80 offers) | large catalog (≈10 080 offers) |")
    out.append("|---|---|---|---|")
    for r in results:
        small, large = r["statements"]["demo_catalog"], r["statements"]["large_catalog"]
        for group, label in (("pages", "cached"), ("pages_without_cache", "no cache")):
            for name in small.get(group, {}):
                out.append(
                    f"| {r['db']} | page {name} ({label}) | {small[group][name]} | "
                    f"{large[group][name]} |"
                )
        for size in small["orders"]:
            for step, n in small["orders"][size].items():
                out.append(
                    f"| {r['db']} | {step}, cart of {size.replace('_', ' ')} | {n} | "
                    f"{large['orders'][size][step]} |"
                )
    out.append("\n### Peak memory (VmHWM) of each gunicorn worker, MiB\n")
    for r in results:
        out.append(f"- {r['db']}: {r['memory_mib']['web_workers_peak_rss']}")
    pretix = [r for r in results if r.get("pretix")]
    if pretix:
        out.append("\n### pretix 2026.8 in the same run (its own bench.sh, 2 sync workers)\n")
        out.append(
            "| run | event page req/s | p50 ms | p99 ms | its Flask ceiling req/s "
            "| purchases/s 1 client | 8 clients | 8 clients completed |"
        )
        out.append("|---|---|---|---|---|---|---|---|")
        for r in pretix:
            px = r["pretix"]
            c8 = px.get("checkout_8", {})
            done = f"{c8.get('completed', '–')} / {c8.get('attempted', '–')}"
            out.append(
                f"| {px['label']} | {_f(px['event_page']['rps'])} | "
                f"{_f(px['event_page']['p50_ms'])} | {_f(px['event_page']['p99_ms'])} | "
                f"{_f(px['flask_ceiling']['rps'])} | "
                f"{_f(px.get('checkout_1', {}).get('orders_per_s'), 2)} | "
                f"{_f(c8.get('orders_per_s'), 2)} | {done} |"
            )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv is not None else sys.argv[1:]
    results = [json.loads(Path(p).read_text()) for p in paths]
    sys.stdout.write(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
