"""The embedded dossier import (R-DOS-1, R-DOS-4, RULES.md §13): JSON Lines, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from members.importer import import_file
from members.models import DossierAgent, DossierChild, Household
from shop.db import session
from tests.factories import agent_json


def _write(tmp_path: Path, lines: list[Any], name: str = "dossiers.jsonl") -> str:
    """Dicts become JSON lines; strings are written as they are (blank or broken lines)."""
    path = tmp_path / name
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def _counts() -> dict[str, int]:
    s = session()
    return {
        model.__name__: s.scalar(select(func.count()).select_from(model))
        for model in (DossierAgent, DossierChild, Household)
    }


def _agent(number: str) -> DossierAgent:
    s = session()
    s.expire_all()
    agent = s.get(DossierAgent, number)
    assert agent is not None, number
    return agent


def _children(household_id: str) -> list[tuple[str, str, str]]:
    rows = session().execute(
        select(DossierChild.prenom, DossierChild.birth_date, DossierChild.fiscal_status)
        .where(DossierChild.household_id == household_id)
        .order_by(DossierChild.prenom)
    )
    return [(p, b.isoformat(), f) for p, b, f in rows]


def test_r_dos_4_good_file_creates_every_agent(ctx, tmp_path):
    before = _counts()
    first = agent_json(
        children=[
            {"prenom": "Léo", "birth_date": "2014-03-02", "fiscal_status": "a_charge"},
            {"prenom": "Zoé", "birth_date": "2018-11-30", "fiscal_status": "alternee"},
        ]
    )
    second = agent_json(cgos_number=" 8765 4321 b ", qf=None, status="retraite")

    report = import_file(_write(tmp_path, [first, second]), actor="test")

    assert report.ok, report.errors
    assert (report.imported, report.created, report.updated) == (2, 2, 0)
    after = _counts()
    assert after["DossierAgent"] == before["DossierAgent"] + 2
    assert after["Household"] == before["Household"] + 2
    assert after["DossierChild"] == before["DossierChild"] + 2

    agent = _agent(first["cgos_number"])
    assert (agent.nom, agent.prenom, agent.region) == ("Testeuse", "Camille", "Rhône-Alpes")
    assert agent.birth_date.isoformat() == "1984-05-20"
    assert (agent.postal_code, agent.city, agent.country) == ("69003", "Lyon", "FR")
    assert agent.qf_cents == 69600
    assert agent.household_id == first["household_id"]
    assert _children(first["household_id"]) == [
        ("Léo", "2014-03-02", "a_charge"),
        ("Zoé", "2018-11-30", "alternee"),
    ]
    # R-GATE-2: the number is stored normalised; an unknown QF stays unknown.
    other = _agent("87654321B")
    assert other.qf_cents is None
    assert other.status == "retraite"


def test_r_dos_4_reimport_updates_the_same_number_and_replaces_children(ctx, tmp_path):
    line = agent_json(
        children=[
            {"prenom": "Léo", "birth_date": "2014-03-02", "fiscal_status": "a_charge"},
            {"prenom": "Zoé", "birth_date": "2018-11-30", "fiscal_status": "alternee"},
        ]
    )
    assert import_file(_write(tmp_path, [line], "v1.jsonl"), actor="test").ok
    before = _counts()

    changed = {
        **line,
        "nom": "Martin",
        "email": "camille.martin@exemple.fr",
        "qf": 812.345,
        "children": [
            {"prenom": "Inès", "birth_date": "2021-01-15", "fiscal_status": "non_a_charge"}
        ],
    }
    report = import_file(_write(tmp_path, [changed], "v2.jsonl"), actor="test")

    assert report.ok, report.errors
    assert (report.imported, report.created, report.updated) == (1, 0, 1)
    after = _counts()
    assert after["DossierAgent"] == before["DossierAgent"]
    assert after["Household"] == before["Household"]
    assert after["DossierChild"] == before["DossierChild"] - 1
    agent = _agent(line["cgos_number"])
    assert (agent.nom, agent.email) == ("Martin", "camille.martin@exemple.fr")
    assert agent.qf_cents == 81235  # half-up to the cent
    assert _children(line["household_id"]) == [("Inès", "2021-01-15", "non_a_charge")]


def test_r_dos_1_couple_shares_one_household(ctx, tmp_path):
    kids = [
        {"prenom": "Léo", "birth_date": "2014-03-02", "fiscal_status": "a_charge"},
        {"prenom": "Zoé", "birth_date": "2018-11-30", "fiscal_status": "a_charge"},
    ]
    one = agent_json(household_id="H-COUPLE-1", children=kids)
    two = agent_json(household_id="H-COUPLE-1", prenom="Dominique", civilite="M.", children=kids)
    before = _counts()

    report = import_file(_write(tmp_path, [one, two]), actor="test")

    assert report.ok, report.errors
    assert report.created == 2
    after = _counts()
    assert after["DossierAgent"] == before["DossierAgent"] + 2
    assert after["Household"] == before["Household"] + 1
    # The household's children are listed once, not once per agent of the couple.
    assert after["DossierChild"] == before["DossierChild"] + 2
    members = session().scalars(
        select(DossierAgent.cgos_number).where(DossierAgent.household_id == "H-COUPLE-1")
    )
    assert sorted(members) == sorted([one["cgos_number"], two["cgos_number"]])
    assert [c[0] for c in _children("H-COUPLE-1")] == ["Léo", "Zoé"]


def test_spec_13_blank_lines_are_ignored(ctx, tmp_path):
    one, two = agent_json(), agent_json()
    before = _counts()

    report = import_file(_write(tmp_path, ["", one, "   ", "\t", two, ""]), actor="test")

    assert report.ok, report.errors
    assert (report.imported, report.created) == (2, 2)
    assert _counts()["DossierAgent"] == before["DossierAgent"] + 2


def test_spec_13_bad_file_reports_each_line_and_imports_nothing(ctx, tmp_path):
    existing = agent_json()
    assert import_file(_write(tmp_path, [existing], "v1.jsonl"), actor="test").ok
    before = _counts()

    good_update = {**existing, "nom": "Renommée", "children": []}
    new_good = agent_json(
        children=[{"prenom": "Léo", "birth_date": "2014-03-02", "fiscal_status": "a_charge"}]
    )
    lines: list[Any] = [
        good_update,  # 1
        '{"cgos_number": "11112222A", "nom": ',  # 2: broken JSON
        agent_json(cgos_number="1234567A"),  # 3: 7 digits
        "",  # 4: blank, still counted
        agent_json(birth_date="1984-13-45"),  # 5
        agent_json(region="Atlantide"),  # 6
        agent_json(  # 7
            children=[{"prenom": "Zoé", "birth_date": "2016-01-01", "fiscal_status": "orphelin"}]
        ),
        {**agent_json(), "cgos_number": existing["cgos_number"]},  # 8: same number as line 1
        new_good,  # 9
    ]

    report = import_file(_write(tmp_path, lines, "v2.jsonl"), actor="test")

    assert not report.ok
    assert (report.imported, report.created, report.updated) == (0, 0, 0)
    by_line: dict[int, list[str]] = {}
    for lineno, reason in report.errors:
        by_line.setdefault(lineno, []).append(reason)
    assert sorted(by_line) == [2, 3, 5, 6, 7, 8]
    assert by_line[2][0].startswith("JSON invalide")
    assert by_line[3] == ["cgos_number : 8 chiffres suivis d'une lettre attendus"]
    assert by_line[5][0].startswith("birth_date : date invalide")
    assert by_line[6] == ["region : région inconnue : 'Atlantide'"]
    assert by_line[7] == ["children[0].fiscal_status : statut fiscal inconnu : 'orphelin'"]
    assert by_line[8][0].startswith(f"cgos_number : {existing['cgos_number']} déjà présent")
    assert "ligne 1" in by_line[8][0]

    # Nothing of the bad file was written, not even its good lines.
    assert _counts() == before
    assert _agent(existing["cgos_number"]).nom == "Testeuse"
    assert session().get(DossierAgent, new_good["cgos_number"]) is None


def test_spec_13_one_line_reports_every_bad_field(ctx, tmp_path):
    line = agent_json(status="vacataire", email="pas-une-adresse", dossier_year="2026")
    del line["address"]
    before = _counts()

    report = import_file(_write(tmp_path, [line]), actor="test")

    paths = {reason.split(" : ")[0] for lineno, reason in report.errors if lineno == 1}
    assert paths == {"status", "email", "dossier_year", "address"}
    assert _counts() == before


def test_spec_13_file_not_in_utf8_is_refused(ctx, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(agent_json(nom="Hélène"), ensure_ascii=False).encode("latin-1"))
    before = _counts()

    report = import_file(str(path), actor="test")

    assert not report.ok
    assert "UTF-8" in report.errors[0][1]
    assert _counts() == before
