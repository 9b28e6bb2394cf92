"""Inclusive share of each function in a py-spy raw profile of the web workers.

    py-spy record --pid <gunicorn master> --subprocesses --duration 15 --rate 200 \\
        --format raw -o spy.txt
    python -m bench.flame spy.txt 'auth/|orders/|catalog/|shop/|argon2|sqlite3'
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

_FRAME = re.compile(r"(.*) \((.*):(\d+)\)")


def shares(path: Path) -> tuple[int, collections.Counter]:
    """Total samples, and samples per function (counted once per stack)."""
    inclusive: collections.Counter = collections.Counter()
    total = 0
    for raw in path.read_text(errors="replace").splitlines():
        stack, _, count = raw.strip().rpartition(" ")
        if not stack:
            continue
        if not count.isdigit():
            continue  # a stack cut by py-spy (no sample count)
        n = int(count)
        total += n
        seen = set()
        for frame in stack.split(";"):
            m = _FRAME.match(frame)
            name = frame
            if m:
                where = m.group(2).split("site-packages/")[-1]
                name = f"{m.group(1)} ({where})"
            if name not in seen:
                seen.add(name)
                inclusive[name] += n
    return total, inclusive


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    total, inclusive = shares(Path(args[0]))
    pattern = re.compile(args[1] if len(args) > 1 else "")
    print(f"{total} samples")
    for name, n in inclusive.most_common(400):
        if pattern.search(name):
            print(f"{n / total * 100:5.1f} % {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
