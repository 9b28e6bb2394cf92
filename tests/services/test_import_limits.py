"""``dossier import`` and ``catalog import`` with absurd files (issue 17, defect 11): each
bad value is printed with its line or JSON path and a French reason, the command exits 1
and nothing is written; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.models import Offer
from members.models import DossierAgent
from shop.db import session
from tests.factories import agent_json, dated

DEEP = "[" * 100_000 + "]" * 100_000
HUGE_NUMBER = "1" * 5000  # past Python's int/str conversion limit


@pytest.fixture
def cli(app: Any, db: Any) -> Any:
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _count(app: Any, model: Any) -> int:
    with app.app_context():
        return session().scalar(select(func.count()).select_from(model))


def _refused(result: Any, expected: str) -> None:
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert result.exit_code == 1
    assert expected in result.stderr, result.stderr[-2000:]
    assert "rien n'a été importé" in result.stderr


def _child(**overrides: Any) -> dict[str, Any]:
    return {"prenom": "Hugo", "birth_date": "2016-09-01", "fiscal_status": "a_charge", **overrides}


DOSSIER_CASES = {
    "deep-nesting": (DEEP, "ligne 2 : JSON trop imbriqué"),
    "huge-number": (
        '{"dossier_year": ' + HUGE_NUMBER + "}",
        "ligne 2 : JSON invalide (nombre trop long)",
    ),
    "year-10**30": (agent_json(dossier_year=10**30), "ligne 2 : dossier_year : année attendue"),
    "nul": (agent_json(nom="Du\x00pont"), "ligne 2 : nom : caractère nul interdit"),
    "long-nom": (
        agent_json(nom="x" * 100_000),
        "ligne 2 : nom : texte trop long (120 caractères au plus)",
    ),
    "long-city": (
        agent_json(address={**agent_json()["address"], "city": "y" * 5000}),
        "ligne 2 : address.city : texte trop long (120 caractères au plus)",
    ),
    "birth-0001": (
        agent_json(birth_date="0001-01-01"),
        "ligne 2 : birth_date : date hors limites : '0001-01-01'",
    ),
    "birth-2999": (
        agent_json(birth_date="2999-01-01"),
        "ligne 2 : birth_date : date hors limites : '2999-01-01'",
    ),
    "child-birth-0001": (
        agent_json(children=[_child(birth_date="0001-01-01")]),
        "ligne 2 : children[0].birth_date : date hors limites",
    ),
    "unknown-field": (agent_json(surnom="Mimi"), "ligne 2 : surnom : champ inconnu"),
    "unknown-address-field": (
        agent_json(address={**agent_json()["address"], "etage": 3}),
        "ligne 2 : address.etage : champ inconnu",
    ),
    "unknown-child-field": (
        agent_json(children=[_child(age=10)]),
        "ligne 2 : children[0].age : champ inconnu",
    ),
    "qf-1e20": (agent_json(qf=1e20), "ligne 2 : qf : quotient familial invalide"),
}


@pytest.mark.parametrize("case", DOSSIER_CASES, ids=list(DOSSIER_CASES))
def test_defect_11_dossier_import_refuses_absurd_lines(app, cli, tmp_path, case):
    bad, expected = DOSSIER_CASES[case]
    path = tmp_path / "dossiers.jsonl"
    lines = [agent_json(), bad]
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    before = _count(app, DossierAgent)
    _refused(cli("dossier", "import", str(path)), expected)
    assert _count(app, DossierAgent) == before


def _session(starts_at: str) -> list[dict[str, Any]]:
    return [{"starts_at": starts_at, "stock": 10}]


CATALOG_CASES = {
    "deep-nesting": ('{"offers": ' + DEEP + "}", "fichier : JSON trop imbriqué"),
    "huge-number": (
        '{"offers": [{"stock": ' + HUGE_NUMBER + "}]}",
        "fichier : JSON invalide (nombre trop long)",
    ),
    "opens-0001+14": (
        {"offers": [dated(sale_opens_at="0001-01-01T00:00+14:00")]},
        "offers[0].sale_opens_at : date hors limites",
    ),
    "opens-9999-12": (
        {"offers": [dated(sale_closes_at="9999-12-31T23:59-12:00")]},
        "offers[0].sale_closes_at : date hors limites",
    ),
    "session-year-1": (
        {"offers": [dated(sessions=_session("0001-01-01T20:30"))]},
        "offers[0].sessions[0].starts_at : date hors limites",
    ),
    "session-year-9999": (
        {"offers": [dated(sessions=_session("9999-12-31T23:30"))]},
        "offers[0].sessions[0].starts_at : date hors limites",
    ),
    "nul-title": (
        {"offers": [dated(title="Lac\x00des cygnes")]},
        "offers[0].title : caractère nul interdit",
    ),
    "nul-session-venue": (
        {
            "offers": [
                dated(sessions=[{"starts_at": "2027-01-15T20:30", "stock": 1, "venue": "\x00"}])
            ]
        },
        "offers[0].sessions[0].venue : caractère nul interdit",
    ),
    "long-description": (
        {"offers": [dated(description="z" * 1_000_000)]},
        "offers[0].description : texte trop long",
    ),
    "valid-until-0001": (
        {
            "offers": [
                dated(
                    kind="billet_ouvert",
                    sessions=[],
                    stock=5,
                    deliveries=["e_billet"],
                    valid_until="0001-01-01",
                )
            ]
        },
        "offers[0].valid_until : date hors limites",
    ),
    "stock-10**30": (
        {
            "offers": [
                dated(kind="billet_ouvert", sessions=[], stock=10**30, deliveries=["e_billet"])
            ]
        },
        "offers[0].stock : nombre trop grand",
    ),
}


@pytest.mark.parametrize("case", CATALOG_CASES, ids=list(CATALOG_CASES))
def test_defect_11_catalog_import_refuses_absurd_values(app, cli, make_partner, tmp_path, case):
    make_partner("sogec")
    document, expected = CATALOG_CASES[case]
    path = Path(tmp_path / "catalogue.json")
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    before = _count(app, Offer)
    _refused(cli("catalog", "import", str(path)), expected)
    assert _count(app, Offer) == before
