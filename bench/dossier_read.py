"""CPU time of reading one agent's dossier, which every page of a logged-in agent does.

Usage (on a database seeded by ``bench.run`` or ``seed-demo``):

    DATABASE_URL=... python -m bench.dossier_read [--reads 1000]

Compares the store's read (one plain SELECT of the agent joined to the household's
children) with the ORM read it replaced (objects with joined relationships), on an agent
who has children, and checks that both give the same record.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from members.dossier_format import DossierRecord
from members.dossiers import LocalDossierSource, record_from_row
from members.models import DossierAgent, DossierChild, Household
from shop import create_app
from shop.db import session


def _cpu_ms(read: Callable[[], DossierRecord | None], reads: int) -> float:
    for _ in range(50):
        read()
    start = time.process_time()
    for _ in range(reads):
        read()
    return (time.process_time() - start) / reads * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=1000)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        number = session().scalar(
            select(DossierAgent.cgos_number)
            .join(DossierChild, DossierChild.household_id == DossierAgent.household_id)
            .limit(1)
        )
        if number is None:
            raise SystemExit("aucun agent avec enfants : lancez d'abord seed-demo")
        source = LocalDossierSource()

        def orm_read() -> DossierRecord | None:
            agent = (
                session()
                .execute(
                    select(DossierAgent)
                    .where(DossierAgent.cgos_number == number)
                    .options(joinedload(DossierAgent.household).joinedload(Household.children))
                )
                .unique()
                .scalar_one_or_none()
            )
            record = record_from_row(agent) if agent else None
            session().expunge_all()
            return record

        def store_read() -> DossierRecord | None:
            return source.get(number)

        assert orm_read() == store_read()
        for label, read in (("ORM objects", orm_read), ("plain SELECT (store)", store_read)):
            print(f"{label:22} {_cpu_ms(read, args.reads):.3f} ms CPU per read")


if __name__ == "__main__":
    main()
