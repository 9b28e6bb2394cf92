"""The catalog import (R-CAT-7, RULES.md §13): a JSON file, each error by its path, all or
nothing."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.importer import import_file
from catalog.models import Offer, OfferSession
from partners.models import Partner
from shop.audit import AuditEntry
from shop.db import session
from tests.factories import dated


def _write(tmp_path: Path, document: Any, name: str = "catalogue.json") -> str:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _count(model: Any) -> int:
    return session().scalar(select(func.count()).select_from(model))


def _offer(title: str) -> Offer:
    s = session()
    s.expire_all()
    offer = s.scalar(select(Offer).where(Offer.title == title))
    assert offer is not None, title
    return offer


def every_kind() -> list[dict[str, Any]]:
    return [
        dated(featured=True),
        {
            "partner": {"slug": "reseau-parcs", "name": "Réseau Parcs & Loisirs"},
            "kind": "billet_ouvert",
            "category": "parcs-et-loisirs",
            "title": "Parc des Légendes gauloises — billet 1 jour",
            "venue": "Parc des Légendes gauloises",
            "city": "Plailly",
            "region": "Île-de-France",
            "regional_ticketing": True,
            "public_price": "54",
            "negotiated_price": "45",
            "cgos_price": "33.5",
            "deliveries": ["e_billet"],
            "stock": 500,
            "valid_from": "2026-12-01",
            "valid_until": "2027-11-30",
            "sale_opens_at": "2026-12-01T09:00:00Z",
            "sale_closes_at": "2027-06-30T23:59",
        },
        {
            "partner": "reseau-parcs",  # created by the offer above, in the same file
            "kind": "billet_ouvert",
            "category": "cinema",
            "title": "E-billet CinéRéseau",
            "public_price": 13.9,
            "negotiated_price": 9.5,
            "cgos_price": 6.5,
            "deliveries": ["e_billet"],
            "stock": 2000,
        },
        {
            "partner": "sogec",
            "kind": "carte",
            "category": "cartes-et-cheques",
            "title": "Carte cadeau multi-enseignes — 500 €",
            "public_price": 500,
            "negotiated_price": "480",
            "cgos_price": "153,01",
            "face_value": 500,
            "physical": True,
            "deliveries": ["poste"],
            "stock": 40,
            "per_order_max": 2,
        },
        {
            "partner": "kiosque",
            "kind": "abonnement",
            "category": "abonnements-magazines",
            "title": "Horizons Voyages — 12 numéros",
            "public_price": 72,
            "negotiated_price": 54,
            "cgos_price": 38,
            "deliveries": ["poste", "email"],
            "stock": 10000,
            "supply_state": "en_cours",
        },
        {
            "partner": "sogec",
            "kind": "cheque_culture",
            "category": "cheques-culture",
            "title": "Chèques culture — carnet de 75 €",
            "public_price": 75,
            "negotiated_price": 75,
            "cgos_price": 37.5,
            "face_value": 75,
            "per_order_max": 1,
            "deliveries": ["poste"],
            "stock": 5000,
        },
        {
            "partner": "sogec",
            "kind": "sejour",
            "category": "sejours",
            "title": "Prix mini Mer — Saint-Jean-de-Monts",
            "city": "Saint-Jean-de-Monts",
            "public_price": 620,
            "negotiated_price": 620,
            "cgos_price": 620,
            "child_public_price": 380,
            "deliveries": ["email"],
            "stock": 30,
            "stay_family": "prix_mini",
            "stay_starts_on": "2027-07-10",
            "stay_ends_on": "2027-07-17",
            "published": False,
        },
    ]


@pytest.fixture
def partners(make_partner: Any) -> None:
    make_partner("sogec")
    make_partner("kiosque")


# -- a good file -----------------------------------------------------------------------------


def test_r_cat_7_good_file_imports_every_kind_with_sessions(ctx, partners, tmp_path):
    before = (_count(Offer), _count(OfferSession), _count(Partner))

    report = import_file(_write(tmp_path, {"offers": every_kind()}), actor="test")

    assert report.ok, report.errors
    assert (report.offers, report.sessions, report.partners_created) == (7, 2, 1)
    assert (_count(Offer), _count(OfferSession), _count(Partner)) == (
        before[0] + 7,
        before[1] + 2,
        before[2] + 1,
    )
    kinds = set(session().scalars(select(Offer.kind)))
    assert kinds == {
        "billet_date",
        "billet_ouvert",
        "carte",
        "abonnement",
        "cheque_culture",
        "sejour",
    }

    ballet = _offer("Le Lac des cygnes")
    assert (ballet.public_price_cents, ballet.negotiated_price_cents) == (5900, 5200)
    assert ballet.cgos_price_cents == 1250  # 12.5 € as a JSON number
    assert ballet.participation_cents == 3950
    assert ballet.stock is None
    assert ballet.deliveries == "courrier,e_billet,retrait"
    assert ballet.region is None and ballet.featured and ballet.published
    assert ballet.partner.slug == "sogec"
    assert "lac des cygnes" in ballet.search_text and "lyon" in ballet.search_text
    first, second = ballet.sessions
    # Naive times are Paris time, stored as naive UTC: 20:30 in winter is 19:30 UTC.
    assert first.starts_at == datetime(2027, 1, 15, 19, 30)
    assert (first.stock, first.venue, first.supply_state, first.cancelled) == (
        40,
        None,
        "en_stock",
        False,
    )
    # An explicit offset is honoured: 15:00+02:00 is 13:00 UTC.
    assert second.starts_at == datetime(2027, 7, 14, 13, 0)
    assert (second.stock, second.city, second.supply_state) == (2, "Paris", "en_cours")

    park = _offer("Parc des Légendes gauloises — billet 1 jour")
    assert park.partner.slug == "reseau-parcs"
    assert park.partner.name == "Réseau Parcs & Loisirs"
    assert park.cgos_price_cents == 3350
    assert (park.region, park.regional_ticketing, park.stock) == ("Île-de-France", True, 500)
    assert (park.valid_from, park.valid_until) == (date(2026, 12, 1), date(2027, 11, 30))
    assert park.sale_opens_at == datetime(2026, 12, 1, 9, 0)  # Z = UTC
    assert park.sale_closes_at == datetime(2027, 6, 30, 21, 59)  # 23:59 Paris in summer
    assert _offer("E-billet CinéRéseau").partner_id == park.partner_id

    card = _offer("Carte cadeau multi-enseignes — 500 €")
    assert card.cgos_price_cents == 15301  # "153,01" with a French comma
    assert (card.face_value_cents, card.per_order_max, card.physical) == (50000, 2, True)

    magazine = _offer("Horizons Voyages — 12 numéros")
    assert (magazine.deliveries, magazine.supply_state) == ("email,poste", "en_cours")

    cheques = _offer("Chèques culture — carnet de 75 €")
    assert (cheques.face_value_cents, cheques.cgos_price_cents) == (7500, 3750)
    assert cheques.participation_cents == 3750  # R-CAP-6: 50 % of the face value

    stay = _offer("Prix mini Mer — Saint-Jean-de-Monts")
    assert (stay.stay_family, stay.child_public_price_cents) == ("prix_mini", 38000)
    assert (stay.stay_starts_on, stay.stay_ends_on) == (date(2027, 7, 10), date(2027, 7, 17))
    assert stay.published is False

    (entry,) = session().scalars(select(AuditEntry).where(AuditEntry.action == "catalog.imported"))
    assert entry.actor == "test"
    assert entry.after == {"offers": 7, "sessions": 2, "partners_created": 1}


def test_r_cat_7_reimport_creates_again(ctx, partners, tmp_path):
    """Without an external id there is no update: each import adds its offers."""
    path = _write(tmp_path, {"offers": [dated()]})
    assert import_file(path, actor="test").ok
    assert import_file(path, actor="test").ok
    assert session().scalar(select(func.count()).where(Offer.title == "Le Lac des cygnes")) == 2


# -- a bad file ------------------------------------------------------------------------------


def test_r_cat_7_bad_file_names_every_bad_field_and_writes_nothing(ctx, partners, tmp_path):
    offers = [
        dated(partner="inconnu"),
        dated(kind="billet_volant"),
        dated(category="jardinage"),
        dated(cgos_price=60),
        dated(
            sessions=[
                {"starts_at": "2027-01-15T20:30", "stock": 10},
                {"starts_at": "2027-02-30T20:30", "stock": 10},
                {"starts_at": "2027-03-01T20:30", "stock": -1},
            ]
        ),
        {**every_kind()[3], "stock": -5},
        {**every_kind()[3], "deliveries": ["poste", "e_billet"]},
        dated(title="  ", public_price="douze euros", stock=10, region="Atlantide"),
        {**every_kind()[5], "face_value": 100},
        {**every_kind()[6], "stay_family": None, "stay_ends_on": "2027-07-01"},
        dated(deliveries=["fax"], couleur="rouge", sessions=[{"stock": 3}]),
        "pas un objet",
    ]
    before = (_count(Offer), _count(OfferSession), _count(Partner), _count(AuditEntry))

    report = import_file(_write(tmp_path, {"offers": offers}), actor="test")

    assert not report.ok
    by_path: dict[str, list[str]] = {}
    for path, reason in report.errors:
        by_path.setdefault(path, []).append(reason)
    assert by_path == {
        "offers[0].partner": ["partenaire inconnu : 'inconnu'"],
        "offers[1].kind": ["type d'offre inconnu(e) : 'billet_volant'"],
        "offers[2].category": ["Catégorie inconnue."],
        "offers[3].cgos_price": ["Le prix C.G.O.S ne peut pas dépasser le prix négocié."],
        "offers[4].sessions[1].starts_at": [
            "date invalide : '2027-02-30T20:30' (format AAAA-MM-JJTHH:MM, fuseau facultatif)"
        ],
        "offers[4].sessions[2].stock": ["doit être au moins 0"],
        "offers[5].stock": ["Le stock ne peut pas être négatif."],
        "offers[6].deliveries[1]": ["mode de livraison impossible pour ce type : e_billet"],
        "offers[7].title": ["champ obligatoire manquant"],
        "offers[7].public_price": ["montant invalide : 'douze euros'"],
        "offers[7].region": ["région inconnue : 'Atlantide' (null pour une offre nationale)"],
        "offers[7].stock": ["Le stock d'un billet daté se règle par séance."],
        "offers[8].face_value": ["valeur faciale de 75 ou 150 € attendue pour des chèques culture"],
        "offers[9].stay_family": ["champ obligatoire pour un séjour"],
        "offers[9].stay_ends_on": ["La fin du séjour doit suivre son début."],
        "offers[10].couleur": ["champ inconnu"],
        "offers[10].deliveries[0]": ["mode de livraison inconnu : 'fax'"],
        "offers[10].sessions[0].starts_at": ["champ obligatoire manquant"],
        "offers[11]": ["objet offre attendu"],
    }
    assert (_count(Offer), _count(OfferSession), _count(Partner), _count(AuditEntry)) == before


def test_r_cat_7_one_bad_offer_rejects_the_good_ones_and_new_partners(ctx, partners, tmp_path):
    offers = [*every_kind(), dated(negotiated_price=70)]
    before = (_count(Offer), _count(Partner))

    report = import_file(_write(tmp_path, {"offers": offers}), actor="test")

    assert report.errors == [
        ("offers[7].negotiated_price", "Le prix négocié ne peut pas dépasser le prix public.")
    ]
    assert (_count(Offer), _count(Partner)) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "ceci n'est pas du JSON",
            ("fichier", "JSON invalide (Expecting value, ligne 1, colonne 1)"),
        ),
        ('{"offers": [', ("fichier", "JSON invalide (Expecting value, ligne 1, colonne 13)")),
        ("[]", ("fichier", 'objet JSON {"offers": [...]} attendu')),
        ('{"offres": []}', ("offres", "champ inconnu")),
        ('{"offers": {}}', ("offers", "liste d'offres attendue")),
        ('{"offers": []}', ("offers", "la liste ne contient aucune offre")),
    ],
)
def test_r_cat_7_unreadable_file(ctx, tmp_path, content, expected):
    before = _count(Offer)

    report = import_file(_write(tmp_path, content), actor="test")

    assert expected in report.errors
    assert _count(Offer) == before


def test_r_cat_7_file_not_utf8(ctx, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"offers": [{"title": "Théâtre"}]}'.encode("latin-1"))
    assert import_file(str(path)).errors == [("fichier", "le fichier n'est pas en UTF-8")]


def test_r_cat_7_a_failure_while_writing_rolls_everything_back(
    ctx, partners, tmp_path, monkeypatch
):
    """One unit of work: if the audit entry (written last) fails, no offer remains."""
    from catalog import importer

    def _boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disque plein")

    monkeypatch.setattr(importer.audit, "record", _boom)
    before = (_count(Offer), _count(OfferSession), _count(Partner))

    with pytest.raises(RuntimeError):
        import_file(_write(tmp_path, {"offers": every_kind()}), actor="test")

    assert (_count(Offer), _count(OfferSession), _count(Partner)) == before


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli(app: Any, db: Any) -> Any:
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _offer_count(app: Any) -> int:
    with app.app_context():
        return _count(Offer)


def test_spec_13_catalog_import_cli_good_file(app, cli, make_partner, tmp_path):
    make_partner("sogec")
    make_partner("kiosque")
    before = _offer_count(app)

    result = cli("catalog", "import", _write(tmp_path, {"offers": every_kind()}))

    assert result.exit_code == 0, result.output
    assert "7 offre(s) et 2 séance(s) importée(s), 1 partenaire(s) créé(s)." in result.stdout
    assert _offer_count(app) == before + 7


def test_spec_13_catalog_import_cli_bad_file(app, cli, make_partner, tmp_path):
    make_partner("sogec")
    offers = [dated(), dated(title=""), dated(cgos_price=-1), dated(partner="inconnu")]
    before = _offer_count(app)

    result = cli("catalog", "import", _write(tmp_path, {"offers": offers}))

    assert result.exit_code == 1
    assert "offers[1].title : champ obligatoire manquant" in result.stderr
    assert "offers[2].cgos_price : Le prix ne peut pas être négatif." in result.stderr
    assert "offers[3].partner : partenaire inconnu : 'inconnu'" in result.stderr
    assert "Import refusé : 3 erreur(s), rien n'a été importé." in result.stderr
    assert _offer_count(app) == before


def test_spec_13_catalog_import_cli_not_json(app, cli, tmp_path):
    result = cli("catalog", "import", _write(tmp_path, "offers: oui"))

    assert result.exit_code == 1
    assert "fichier : JSON invalide" in result.stderr
