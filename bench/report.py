"""Markdown tables from ``bench.run`` results:  ``python -m bench.report RESULT.json …``.

Every run records its machine (CPU model, cores, Argon2 cost); runs from different CPUs
are refused together unless ``--mixed-machines`` says the reader knows (issue 23).

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


def _counts(values: list[int]) -> str:
    """The statement counts seen over the runs: one number when every run issued the same."""
    return " or ".join(str(v) for v in values)


def _searched(job: dict[str, Any]) -> bool:
    """Every scan an index search (``no_seq_scan``: the first runs' weaker check)."""
    return bool(job.get("index_search", job.get("no_seq_scan")))


def report(results: list[dict[str, Any]]) -> str:
    out: list[str] = []
    out.append("### Pages (wrk, 2 threads, 16 connections, agent session cookie)\n")
    out.append(
        "| db | page | req/s | p50 ms | p99 ms | errors | / trivial page | / pretix (same run) |"
    )
    out.append("|---|---|---|---|---|---|---|---|")
    for r in results:
        px = r.get("pretix") or {}
        for name, row in r["reads"].items():
            # The trivial page is compared with pretix's Flask ceiling page, the others with
            # pretix's event page.
            ref = px.get("flask_ceiling" if name == "trivial" else "event_page", {}).get("rps")
            vs_pretix = f"{row['rps'] / ref:.2f} ×" if ref and row["rps"] else "–"
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
    due = [r for r in results if r.get("due_jobs")]
    if due:
        out.append("\n### Due jobs, nothing due (median of 20 runs; no order → past orders)\n")
        out.append(
            "| db | job | job ms | statements | due query ms | plan (large history) "
            "| index search |"
        )
        out.append("|---|---|---|---|---|---|---|")
        for r in due:
            small, large = r["due_jobs"]["small_history"], r["due_jobs"]["large_history"]
            for name, big in large["jobs"].items():
                row = small["jobs"][name]
                out.append(
                    f"| {r['db']} | {name} | {_f(row['job_ms'], 2)} → {_f(big['job_ms'], 2)} | "
                    f"{_counts(row['statements'])} → {_counts(big['statements'])} | "
                    f"{_f(row['query_ms'], 2)} → {_f(big['query_ms'], 2)} | "
                    f"{'; '.join(big['scans'])} | {'yes' if _searched(big) else 'NO'} |"
                )
        for r in due:
            small, large = r["due_jobs"]["small_history"], r["due_jobs"]["large_history"]
            out.append(
                f"\n{r['db']}: {small['orders']} → {large['orders']} orders, "
                f"{small['payments']} → {large['payments']} payments."
            )
    cpu_rows = [
        (r["db"], clients, run["cpu_ms_per_purchase"])
        for r in results
        for clients, run in r["checkout"].items()
        if run.get("cpu_ms_per_purchase")
    ]
    if cpu_rows:
        out.append("\n### CPU per purchase of each process, ms (from /proc, whole runs)\n")
        names = list(dict.fromkeys(name for _, _, cpu in cpu_rows for name in cpu))
        out.append("| db | clients | " + " | ".join(names) + " |")
        out.append("|---|---|" + "---|" * len(names))
        for db, clients, cpu in cpu_rows:
            cells = " | ".join(_f(cpu.get(name)) for name in names)
            out.append(f"| {db} | {clients.split('_')[0]} | {cells} |")
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


def _constant(r: dict[str, Any]) -> bool:
    small, large = r["statements"]["demo_catalog"], r["statements"]["large_catalog"]
    sizes = list(large["orders"].values())
    return (
        small["pages"] == large["pages"]
        and small["pages_without_cache"] == large["pages_without_cache"]
        and small["orders"] == large["orders"]
        and all(row == sizes[0] for row in sizes)
    )


def targets(results: list[dict[str, Any]]) -> str:
    """The issue's targets next to what each run measured."""
    out = ["| target | " + " | ".join(r["db"] for r in results) + " |"]
    out.append("|---|" + "---|" * len(results))

    def row(label: str, fn) -> None:
        out.append(f"| {label} | " + " | ".join(fn(r) for r in results) + " |")

    pages = ("home", "category", "offer", "search")
    row(
        "catalog, category, offer, search ≥ 50 % of the trivial page",
        lambda r: (
            " / ".join(_pct(r["reads"][p]["ratio_to_trivial"]) for p in pages)
            + (
                " — yes"
                if all(r["reads"][p]["ratio_to_trivial"] >= 0.5 for p in pages)
                else " — no"
            )
        ),
    )
    row(
        "p99 < 100 ms at 16 connections",
        lambda r: (
            " / ".join(_f(r["reads"][p]["p99_ms"], 0) for p in pages)
            + (" ms — yes" if all(r["reads"][p]["p99_ms"] < 100 for p in pages) else " ms — no")
        ),
    )
    for key, goal in (("1_client", 15), ("8_clients", 30)):
        row(
            f"purchases ≥ {goal}/s with {key.replace('_', ' ')}, zero errors",
            lambda r, k=key, g=goal: (
                f"{r['checkout'][k]['orders_per_s']}/s, "
                f"{sum(r['checkout'][k]['errors'].values())} errors — "
                + ("yes" if r["checkout"][k]["orders_per_s"] >= g else "no")
            ),
        )
    row(
        "rush ≥ 2 000 orders/min",
        lambda r: (
            f"{r['rush']['orders_per_minute']}/min — "
            + ("yes" if r["rush"]["orders_per_minute"] >= 2000 else "no")
        ),
    )
    row(
        "rush: exactly the stock sold, the others told « épuisé »",
        lambda r: (
            f"{r['rush']['seats_sold']} sold, stock {r['rush']['database']['stock_left']}, "
            f"{r['rush']['outcomes'].get('épuisé', 0)} « épuisé » — "
            + ("yes" if r["rush"]["exact"] and len(r["rush"]["outcomes"]) == 2 else "no")
        ),
    )
    row(
        "statements constant in catalog and cart size",
        lambda r: "yes" if _constant(r) else "no",
    )
    return "\n".join(out) + "\n"


MIXED_FLAG = "--mixed-machines"


def machines(results: list[dict[str, Any]]) -> list[str]:
    """The distinct machines of these runs, as « CPU model, N cores »."""
    seen: list[str] = []
    for r in results:
        m = r.get("machine") or {}
        name = f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores"
        if name not in seen:
            seen.append(name)
    return seen


def main(argv: list[str] | None = None) -> int:
    """Tables of the runs given. Runs from different CPUs are not comparable: refused
    unless ``--mixed-machines`` is given, and then each run's machine is printed first."""
    args = list(argv if argv is not None else sys.argv[1:])
    mixed = MIXED_FLAG in args
    paths = [a for a in args if a != MIXED_FLAG]
    results = [json.loads(Path(p).read_text()) for p in paths]
    found = machines(results)
    if len(found) > 1 and not mixed:
        sys.stderr.write(
            "These runs come from different machines; their figures are not comparable:\n"
            + "".join(f"  - {name}\n" for name in found)
            + f"Give {MIXED_FLAG} to print them anyway, each with its machine.\n"
        )
        return 2
    sys.stdout.write("Machine" + ("s" if len(found) > 1 else "") + ":\n\n")
    for r, path in zip(results, paths, strict=True):
        if len(found) > 1 or r is results[0]:
            label = f"{r.get('db', '?')} {r.get('label', Path(path).stem)}"
            sys.stdout.write(f"- {label}: {machines([r])[0]}\n")
    sys.stdout.write("\n")
    sys.stdout.write(report(results))
    sys.stdout.write("\n### Against the targets\n\n" + targets(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
