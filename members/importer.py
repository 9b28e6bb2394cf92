"""``flask --app wsgi dossier import FILE``: JSON Lines, all or nothing (RULES.md §13)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete

from members.dossier_format import AGENT_FIELDS, DossierFormatError, DossierRecord, parse_dossier
from members.models import DossierAgent, DossierChild, Household
from members.rights import evaluate_rights
from members.search_key import search_key
from shop import audit, clock
from shop.db import unit_of_work
from shop.jsonfile import read_json

# Extension point: what a domain above members does, inside the import's unit of work, to
# an agent whose status or rights changed. auth registers the end of the agent's sessions
# (R-SEC-1) when its blueprints are wired (auth/views/public.py); members imports no auth.
RightsChanged = Callable[[Any, str], object]
_rights_changed: dict[str, RightsChanged] = {}


def on_rights_changed(name: str, hook: RightsChanged) -> None:
    """Call ``hook(session, cgos_number)`` for each agent whose rights an import changes."""
    _rights_changed[name] = hook


@dataclass
class ImportReport:
    imported: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_lines(lines: Iterable[str]) -> tuple[list[DossierRecord], list[tuple[int, str]]]:
    """Every line checked before anything is written; errors carry their line number."""
    records: list[DossierRecord] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    today = clock.today()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = read_json(line, one_line=True)
        except ValueError as exc:
            errors.append((lineno, str(exc)))
            continue
        try:
            record = parse_dossier(data, strict=True, today=today)
        except DossierFormatError as exc:
            errors.extend((lineno, f"{path} : {reason}") for path, reason in exc.errors)
            continue
        if record.cgos_number in seen:
            errors.append(
                (
                    lineno,
                    f"cgos_number : {record.cgos_number} déjà présent ligne "
                    f"{seen[record.cgos_number]}",
                )
            )
            continue
        seen[record.cgos_number] = lineno
        records.append(record)
    return records, errors


def _rights_differ(agent: DossierAgent, rec: DossierRecord, today: date) -> bool:
    """A new status, or rights opened or closed (R-SEC-1: the agent's sessions end)."""
    if agent.status != rec.status:
        return True
    before = evaluate_rights(agent.status, agent.dossier_year, today)
    after = evaluate_rights(rec.status, rec.dossier_year, today)
    return (before.can_login, before.can_order) != (after.can_login, after.can_order)


def save_records(records: list[DossierRecord], actor: object = "cli") -> tuple[int, int]:
    """Upsert agents; a household's children are replaced by its last line's list."""
    created = updated = 0
    now = clock.utcnow()
    today = clock.today()
    with unit_of_work() as s:
        households: dict[str, Household] = {}
        for rec in records:
            hh = households.get(rec.household_id) or s.get(Household, rec.household_id)
            if hh is None:
                hh = Household(id=rec.household_id)
                s.add(hh)
            households[rec.household_id] = hh
            s.flush()
            s.execute(delete(DossierChild).where(DossierChild.household_id == hh.id))
            s.expire(hh, ["children"])
            for child in rec.children:
                s.add(
                    DossierChild(
                        household_id=hh.id,
                        prenom=child.prenom,
                        birth_date=child.birth_date,
                        fiscal_status=child.fiscal_status,
                    )
                )
            agent = s.get(DossierAgent, rec.cgos_number)
            if agent is None:
                agent = DossierAgent(cgos_number=rec.cgos_number)
                s.add(agent)
                created += 1
            else:
                updated += 1
                if _rights_differ(agent, rec, today):
                    for hook in _rights_changed.values():
                        hook(s, rec.cgos_number)
            for name in AGENT_FIELDS:
                setattr(agent, name, getattr(rec, name))
            agent.search_key = search_key({name: getattr(rec, name) for name in AGENT_FIELDS})
            agent.updated_at = now
        s.flush()
        audit.record(
            actor, "dossier.imported", "dossiers", after={"created": created, "updated": updated}
        )
    return created, updated


def import_file(path: str, actor: object = "cli") -> ImportReport:
    report = ImportReport()
    try:
        with open(path, encoding="utf-8") as fh:
            records, errors = parse_lines(fh)
    except UnicodeDecodeError as exc:
        report.errors.append((0, f"le fichier n'est pas en UTF-8 ({exc.reason})"))
        return report
    if errors:
        report.errors = errors
        return report
    report.created, report.updated = save_records(records, actor)
    report.imported = len(records)
    return report
