"""Time the catalog's read queries in-process against the configured database.

Usage (after `flask --app wsgi db upgrade`, `seed-demo` and `seed-demo --large`):

    DATABASE_URL=... python -m bench.catalog_queries [--runs 5]

Prints the mean time of each query the home, listing and search pages run. The full
gunicorn harness is `bench.run`.
"""

from __future__ import annotations

import argparse
import time

from catalog import queries
from shop import clock, create_app

REGION = "Rhône-Alpes"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        now = clock.utcnow()
        cases = {
            "home: featured offers": lambda: queries.featured_offers(REGION, now),
            "home: category counts": lambda: queries.category_counts(REGION, now),
            "category listing": lambda: queries.search_offers(
                queries.Filters(category="spectacles"), REGION, now
            ),
            "search 'spectacle lyon'": lambda: queries.search_offers(
                queries.Filters(q="spectacle lyon"), REGION, now
            ),
            "all offers by date": lambda: queries.search_offers(
                queries.Filters(sort="date"), REGION, now
            ),
        }
        print(f"{app.extensions['db'].dialect}, mean of {args.runs} runs after one warm-up")
        for name, run in cases.items():
            run()
            start = time.perf_counter()
            for _ in range(args.runs):
                run()
            print(f"{name:<28} {(time.perf_counter() - start) / args.runs * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
