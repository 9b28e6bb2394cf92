"""Demo catalog for ``seed-demo`` (RULES.md §13) and the ``--large`` benchmark catalog.

The demo offers go through the catalog import (catalog/importer.py), so they obey the
same checks as a partner's file. Dates are relative to ``today`` so the demo always shows
sessions over the coming months, a few inside the courrier cut-off (R-CAT-6), low and
sold-out stock (R-CAT-3) and sales windows that open or close soon.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from catalog.importer import import_catalog
from catalog.models import Offer, OfferSession
from catalog.rules import Kind
from catalog.text import offer_search_columns
from demo.pictures import insert_large_pictures, large_picture_set, seed_pictures
from partners.models import Partner
from shop import audit, clock
from shop.clock import PARIS
from shop.db import get_db, session, unit_of_work

ACTOR = "seed-demo"

EVASION = {"slug": "evasion-vacances", "name": "Évasion Vacances Solidaires"}
AVANTAGES = {"slug": "avantages-plus", "name": "Avantages Plus — Cartes et chèques"}
PARCS = {"slug": "reseau-parcs", "name": "Réseau Parcs & Loisirs"}

IDF = "Île-de-France"
RA = "Rhône-Alpes"
BZH = "Bretagne"
PACA = "Provence-Alpes-Côte d'Azur-Corse"
AQ = "Aquitaine"
NORD = "Nord-Pas de Calais Picardie"
NORM = "Normandie"
LR = "Languedoc-Roussillon"
LPC = "Limousin-Poitou-Charentes"
PDL = "Pays de la Loire"
ALS = "Lorraine-Alsace"
MP = "Midi-Pyrénées"

Prices = tuple[float | str, float | str, float | str]  # public, négocié, C.G.O.S (euros)
Sess = tuple[int, str, int] | tuple[int, str, int, str, str]  # days, HH:MM, stock[, venue, city]


def _paris(day: date, hhmm: str = "00:00") -> str:
    """A naive ISO date-time, which the import reads as Paris time."""
    return f"{day.isoformat()}T{hhmm}"


def _prices(p: Prices) -> dict[str, Any]:
    return {"public_price": p[0], "negotiated_price": p[1], "cgos_price": p[2]}


def _dated(
    today: date,
    partner: Any,
    category: str,
    title: str,
    summary: str,
    venue: str,
    city: str,
    region: str | None,
    prices: Prices,
    sessions: list[Sess],
    *,
    description: str = "",
    deliveries: tuple[str, ...] = ("e_billet", "courrier", "retrait"),
    **extra: Any,
) -> dict[str, Any]:
    """A billet_date offer; sessions as (days from today, Paris time, stock[, venue, city])."""
    rows = []
    for s in sessions:
        row: dict[str, Any] = {"starts_at": _paris(today + timedelta(days=s[0]), s[1])}
        row["stock"] = s[2]
        if len(s) == 5:
            row["venue"], row["city"] = s[3], s[4]
        rows.append(row)
    return {
        "partner": partner,
        "kind": Kind.BILLET_DATE.value,
        "category": category,
        "title": title,
        "summary": summary,
        "description": description or summary,
        "venue": venue,
        "city": city,
        "region": region,
        **_prices(prices),
        "deliveries": list(deliveries),
        "sessions": rows,
        **extra,
    }


def _undated(
    today: date,
    partner: Any,
    kind: Kind,
    category: str,
    title: str,
    summary: str,
    prices: Prices,
    stock: int,
    deliveries: tuple[str, ...],
    *,
    region: str | None = None,
    venue: str | None = None,
    city: str | None = None,
    description: str = "",
    valid_days: int | None = 365,
    **extra: Any,
) -> dict[str, Any]:
    offer = {
        "partner": partner,
        "kind": kind.value,
        "category": category,
        "title": title,
        "summary": summary,
        "description": description or summary,
        "venue": venue,
        "city": city,
        "region": region,
        **_prices(prices),
        "deliveries": list(deliveries),
        "stock": stock,
        **extra,
    }
    if valid_days is not None:
        offer["valid_from"] = today.isoformat()
        offer["valid_until"] = (today + timedelta(days=valid_days)).isoformat()
    return offer


def _stay(
    today: date,
    title: str,
    summary: str,
    family: str,
    city: str,
    adult: float,
    child: float,
    starts_in: int,
    nights: int,
    stock: int,
    *,
    region: str | None = None,
    description: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """A séjour: the agent's price comes from the family's QF table (R-VAC-1), so the
    négocié and C.G.O.S prices simply repeat the public adult price."""
    start = today + timedelta(days=starts_in)
    return {
        "partner": EVASION,
        "kind": Kind.SEJOUR.value,
        "category": "sejours",
        "title": title,
        "summary": summary,
        "description": description or summary,
        "venue": None,
        "city": city,
        "region": region,
        "public_price": adult,
        "negotiated_price": adult,
        "cgos_price": adult,
        "child_public_price": child,
        "per_order_max": 6,
        "physical": False,
        "deliveries": ["email"],
        "stock": stock,
        "stay_family": family,
        "stay_starts_on": start.isoformat(),
        "stay_ends_on": (start + timedelta(days=nights)).isoformat(),
        "sale_closes_at": _paris(start - timedelta(days=21), "23:59"),
        **extra,
    }


def _billetterie(t: date) -> Iterator[dict[str, Any]]:
    # -- spectacles ------------------------------------------------------------------------
    yield _dated(
        t,
        "sogec",
        "spectacles",
        "Le Lac des cygnes — Ballet des Étoiles de l'Est",
        "Le grand ballet de Tchaïkovski par quarante danseurs et un orchestre sur scène.",
        "Amphithéâtre du Palais des Congrès",
        "Lyon",
        None,
        (59, 52, 35),
        [
            (10, "20:30", 40),
            (11, "15:00", 2),
            (38, "20:30", 120, "Dôme de la Porte Maillot", "Paris"),
            (39, "14:30", 80, "Dôme de la Porte Maillot", "Paris"),
            (66, "20:30", 90, "Arena du Vieux-Port", "Marseille"),
        ],
        description=(
            "Tournée nationale. Durée 2 h 10 avec entracte. Placement numéroté en catégorie 1. "
            "Les séances de Paris et de Marseille ont lieu dans d'autres salles : voir chaque date."
        ),
        featured=True,
    )
    yield _dated(
        t,
        "sogec",
        "spectacles",
        "Le Malade imaginaire — Compagnie des Terreaux",
        "La dernière comédie de Molière, servie par une troupe lyonnaise de douze comédiens.",
        "Théâtre des Terreaux",
        "Lyon",
        RA,
        (32, 28, 16),
        [(9, "20:30", 25), (12, "20:30", 3), (24, "15:00", 60), (52, "20:30", 60)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "festibillet",
        "spectacles",
        "Cirque Éclipse — Voltiges",
        "Acrobates, trapézistes et jongleurs sous un chapiteau chauffé de 1 200 places.",
        "Chapiteau des Brotteaux",
        "Lyon",
        None,
        (38, 34, 22),
        [
            (17, "15:00", 150),
            (17, "20:30", 150),
            (45, "16:00", 200, "Chapiteau de la Plaine", "Rennes"),
            (46, "16:00", 200, "Chapiteau de la Plaine", "Rennes"),
            (101, "20:30", 180, "Chapiteau du Lac", "Bordeaux"),
        ],
        featured=True,
    )
    yield _dated(
        t,
        "festibillet",
        "spectacles",
        "Le Songe d'une nuit d'été",
        "Shakespeare en plein Paris : fées, amoureux et artisans dans une mise en scène "
        "foisonnante.",
        "Théâtre de la Colline Rouge",
        "Paris",
        IDF,
        (36, 32, 19),
        [(20, "20:30", 45), (27, "20:30", 45), (28, "16:00", 1), (90, "20:30", 45)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "festibillet",
        "spectacles",
        "Les Étoiles de Montmartre — comédie musicale",
        "Trente artistes, un orchestre live et les cabarets de la Butte en 1925.",
        "Théâtre des Grands Boulevards",
        "Paris",
        None,
        (69, 62, 45),
        [(14, "20:00", 80), (15, "15:00", 80), (42, "20:00", 80), (70, "20:00", 80)],
        sale_opens_at=_paris(t + timedelta(days=7), "10:00"),
        featured=True,
    )
    yield _dated(
        t,
        "festibillet",
        "spectacles",
        "Gala des Illusionnistes",
        "Cinq magiciens primés, grandes illusions et close-up projeté sur écran géant.",
        "Théâtre des Grands Boulevards",
        "Paris",
        IDF,
        (42, 38, 24),
        [(33, "20:30", 70), (61, "20:30", 70), (62, "15:00", 70)],
    )
    yield _dated(
        t,
        "sogec",
        "spectacles",
        "Bastien Lemaire — Tout va bien (ou presque)",
        "Le nouveau seul-en-scène d'un humoriste brestois qui raconte l'hôpital de l'intérieur.",
        "Salle du Quartz Marin",
        "Brest",
        BZH,
        (29, 26, 15),
        [(19, "20:30", 35), (47, "20:30", 35)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "sogec",
        "spectacles",
        "Casse-Noisette — Ballet de l'Opéra de Bretagne",
        "Le conte de Noël d'Hoffmann et la musique de Tchaïkovski, pour toute la famille.",
        "Théâtre de la Vilaine",
        "Rennes",
        BZH,
        (45, 40, 26),
        [(25, "14:30", 50), (25, "20:00", 50), (26, "15:00", 3)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "festibillet",
        "spectacles",
        "Festival du Rire de la Canebière",
        "Trois soirées, douze humoristes de la nouvelle scène, un plateau différent chaque soir.",
        "Théâtre de la Canebière",
        "Marseille",
        PACA,
        (35, 30, 18),
        [(55, "20:30", 60), (56, "20:30", 60), (57, "20:30", 60)],
    )
    yield _dated(
        t,
        "festibillet",
        "spectacles",
        "Pirates des sept mers — spectacle jeune public",
        "Chansons, combats de cape et d'épée et chasse au trésor : dès 4 ans, 1 h 10.",
        "Théâtre Fémina des Quais",
        "Bordeaux",
        AQ,
        (18, 16, 9),
        [(31, "10:30", 90), (31, "15:00", 90), (59, "15:00", 90)],
    )
    yield _dated(
        t,
        "sogec",
        "spectacles",
        "L'Avare — Comédie de Normandie",
        "Harpagon, sa cassette et sa famille : un Molière rajeuni par une troupe caennaise.",
        "Théâtre du Château",
        "Caen",
        NORM,
        (27, 24, 14),
        [(36, "20:30", 0)],
        description="Unique représentation, complète.",
    )
    # -- concerts --------------------------------------------------------------------------
    yield _dated(
        t,
        "sogec",
        "concerts",
        "Symphonie du Nouveau Monde — Orchestre de la Presqu'île",
        "Dvořák et Smetana par quatre-vingts musiciens sous la direction de Clara Vasseur.",
        "Auditorium de la Presqu'île",
        "Lyon",
        RA,
        (48, 42, 27),
        [(23, "20:30", 90), (80, "20:30", 90), (81, "16:00", 90)],
        regional_ticketing=True,
        featured=True,
    )
    yield _dated(
        t,
        "festibillet",
        "concerts",
        "Jazz aux Arènes de Vienne — soirée Swing",
        "Big band, chanteuse et invités : la soirée d'ouverture du festival de jazz.",
        "Théâtre antique de Vienne",
        "Vienne",
        RA,
        (44, 39, 25),
        [(150, "20:30", 200), (151, "20:30", 200)],
    )
    yield _dated(
        t,
        "festibillet",
        "concerts",
        "Les Horizons Perdus — tournée des grandes salles",
        "Le groupe de rock français fête ses vingt ans sur scène avec son nouvel album.",
        "Halle Tony Garnier Nord",
        "Lyon",
        None,
        (65, 58, 42),
        [
            (29, "20:00", 300),
            (35, "20:00", 300, "Arena de Bercy-Seine", "Paris"),
            (43, "20:00", 250, "Zénith des Flandres", "Lille"),
            (71, "20:00", 250, "Arena Atlantique", "Nantes"),
            (122, "20:00", 250, "Dôme de la Garonne", "Toulouse"),
        ],
        featured=True,
    )
    yield _dated(
        t,
        "sogec",
        "concerts",
        "Requiem de Mozart — Chœur Lumière de Paris",
        "Le Requiem et l'Ave verum corpus, avec quatre solistes et orchestre sur instruments "
        "anciens.",
        "Église Saint-Germain-des-Champs",
        "Paris",
        IDF,
        (39, 35, 21),
        [(13, "20:30", 2), (41, "20:30", 80)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "sogec",
        "concerts",
        "Nuit celtique de Quimper",
        "Bagadoù, harpe et fest-noz géant : la Bretagne en musique jusqu'au bout de la nuit.",
        "Halle de l'Odet",
        "Quimper",
        BZH,
        (30, 27, 16),
        [(64, "19:30", 400), (120, "19:30", 400)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "festibillet",
        "concerts",
        "Gospel Soul Singers — tournée d'hiver",
        "Vingt voix venues de Chicago pour un concert de gospel et de soul.",
        "Église Saint-Bonaventure",
        "Lyon",
        None,
        (37, 33, 21),
        [
            (16, "20:30", 0),
            (21, "20:30", 40, "Cathédrale Saint-Nicolas", "Lille"),
            (54, "18:00", 60, "Église Notre-Dame-du-Port", "Nantes"),
        ],
    )
    yield _dated(
        t,
        "sogec",
        "concerts",
        "Concert du Nouvel An — Valses de Vienne",
        "Strauss père et fils, polkas et marches : l'orchestre de la Capitale en habit.",
        "Salle Pleyel-Monceau",
        "Paris",
        None,
        (55, 49, 32),
        [(40, "17:00", 120), (40, "20:30", 120), (44, "16:00", 80, "Opéra Berlioz", "Montpellier")],
        sale_closes_at=_paris(t + timedelta(days=2), "23:59"),
    )
    yield _dated(
        t,
        "festibillet",
        "concerts",
        "Barbara, l'aigle noir — hommage",
        "Une chanteuse et un pianiste revisitent les chansons de Barbara.",
        "Théâtre Sébastopol du Nord",
        "Lille",
        NORD,
        (31, 28, 17),
        [(37, "20:00", 50), (73, "20:00", 50)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "festibillet",
        "concerts",
        "Électro Sunset Festival",
        "Deux scènes en plein air et quinze artistes électro au bord de la Méditerranée.",
        "Domaine de Grammont",
        "Montpellier",
        LR,
        (49, 45, 31),
        [(170, "18:00", 500)],
        deliveries=("e_billet",),
    )
    yield _dated(
        t,
        "sogec",
        "concerts",
        "Récital Chopin — Nocturnes et Ballades",
        "Le pianiste Antoine Delorme dans un programme entièrement consacré à Chopin.",
        "Grand-Théâtre des Quinconces",
        "Bordeaux",
        AQ,
        (34, 30, 19),
        [(49, "20:00", 45), (112, "17:00", 45)],
    )
    # -- sport -----------------------------------------------------------------------------
    yield _dated(
        t,
        "sogec",
        "sport",
        "Rugby, championnat de France : Lyon reçoit Toulouse",
        "Le choc du championnat au stade de Gerland, tribune latérale.",
        "Stade de Gerland-Sud",
        "Lyon",
        RA,
        (40, 35, 22),
        [(18, "21:05", 150)],
        regional_ticketing=True,
        featured=True,
    )
    yield _dated(
        t,
        "sogec",
        "sport",
        "Football, championnat : Rennes contre Nantes",
        "Le derby de l'Ouest, places en tribune Mordelles.",
        "Stade de la Route de Lorient",
        "Rennes",
        BZH,
        (35, 30, 18),
        [(11, "21:00", 80), (74, "17:00", 120)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "festibillet",
        "sport",
        "Handball, Starligue : Paris contre Montpellier",
        "Le sommet du championnat de handball, places en catégorie 2.",
        "Palais des Sports de Coubertin-Est",
        "Paris",
        IDF,
        (28, 24, 14),
        [(22, "20:00", 3), (95, "20:00", 100)],
        regional_ticketing=True,
    )
    yield _dated(
        t,
        "festibillet",
        "sport",
        "Tournoi international de tennis en salle — journée de quarts",
        "Huit joueurs du top 30 mondial, session de jour et session du soir.",
        "Palais Omnisports de l'Est parisien",
        "Paris",
        None,
        (75, 68, 49),
        [(135, "11:00", 150), (135, "19:00", 150)],
    )
    yield _dated(
        t,
        "sogec",
        "sport",
        "Basket, Betclic Élite : Villeurbanne reçoit Monaco",
        "Le champion de France face au club de la Principauté.",
        "Astroballe du Tonkin",
        "Villeurbanne",
        RA,
        (33, 29, 17),
        [(30, "20:00", 60), (86, "18:30", 60)],
    )
    yield _dated(
        t,
        "festibillet",
        "sport",
        "Meeting international d'athlétisme de Marseille",
        "Sprint, perche et demi-fond : vingt médaillés olympiques au stade Delort.",
        "Stade Pierre-Delort-Sud",
        "Marseille",
        PACA,
        (25, 22, 12),
        [(160, "18:00", 300)],
    )
    yield _dated(
        t,
        "sogec",
        "sport",
        "Gala de patinage artistique — Étoiles sur glace",
        "Champions du monde et d'Europe dans un gala de lumière et de musique.",
        "Patinoire Charlemagne-Ouest",
        "Lyon",
        None,
        (52, 46, 30),
        [
            (34, "15:00", 100),
            (34, "20:00", 100),
            (76, "20:00", 100, "Arena du Pays d'Aix", "Aix-en-Provence"),
        ],
    )


def _avantages(t: date) -> Iterator[dict[str, Any]]:
    # -- parcs et loisirs (billets non datés) ------------------------------------------------
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Parc des Légendes gauloises — billet 1 jour",
        "Quarante attractions et six spectacles, valable tous les jours d'ouverture de la saison.",
        (54, 45, 33),
        500,
        ("e_billet", "courrier"),
        venue="Parc des Légendes gauloises",
        city="Plailly",
        featured=True,
    )
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Parc de l'Image et du Futur — billet 1 jour",
        "Attractions sensorielles, cinéma dynamique et spectacle nocturne sur le lac.",
        (52, 44, 31),
        400,
        ("e_billet", "courrier"),
        venue="Parc de l'Image et du Futur",
        city="Chasseneuil-du-Poitou",
    )
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Zoo des Grands Espaces — entrée adulte",
        "Six cents animaux en semi-liberté sur un parcours de 5 km.",
        (27, 23, 15),
        2,
        ("e_billet", "courrier"),
        venue="Zoo des Grands Espaces",
        city="Saint-Aignan",
    )
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Aquarium des Deux Océans — entrée adulte",
        "Requins, méduses et récif corallien au cœur du port de La Rochelle.",
        (22, 19, 12),
        150,
        ("e_billet", "courrier"),
        region=LPC,
        venue="Aquarium des Deux Océans",
        city="La Rochelle",
    )
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Vallée des Manèges — billet 1 jour",
        "Montagnes russes, rivière sauvage et parc aquatique inclus en été.",
        (39, 33, 21),
        300,
        ("e_billet",),
        region=RA,
        venue="Vallée des Manèges",
        city="Les Avenières",
        regional_ticketing=True,
    )
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Cité des Découvertes — entrée expositions et planétarium",
        "Expositions interactives pour petits et grands, séance de planétarium comprise.",
        (15, 13, 8),
        250,
        ("e_billet", "courrier"),
        region=IDF,
        venue="Cité des Découvertes",
        city="Paris",
    )
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Océanorium de Brest — entrée adulte",
        "Trois pavillons polaire, tempéré et tropical, et les phoques de la baie.",
        (23, 20, 12),
        40,
        ("e_billet", "courrier"),
        region=BZH,
        venue="Océanorium",
        city="Brest",
        supply_state="en_cours",
        description="Nouveau lot de billets attendu : commandez, l'envoi suit dès réception.",
    )
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Aquaparc des Calanques — journée",
        "Toboggans géants, piscine à vagues et rivière lente, ouvert d'avril à septembre.",
        (31, 26, 17),
        200,
        ("e_billet",),
        region=PACA,
        venue="Aquaparc des Calanques",
        city="Cassis",
    )
    yield _undated(
        t,
        PARCS,
        Kind.BILLET_OUVERT,
        "parcs-et-loisirs",
        "Accrobranche des Vosges — parcours aventure",
        "Dix parcours dans les arbres, de 3 ans aux plus aguerris, 3 heures sur place.",
        (24, 21, 13),
        80,
        ("e_billet", "courrier"),
        region=ALS,
        venue="Forêt du Donon",
        city="Grandfontaine",
    )
    # -- cinéma ----------------------------------------------------------------------------
    yield _undated(
        t,
        "sogec",
        Kind.BILLET_OUVERT,
        "cinema",
        "E-billet CinéRéseau — toutes salles partenaires",
        "Une place de cinéma valable dans 900 salles en France, y compris en 3D (supplément).",
        (13.9, 9.5, 6.5),
        2000,
        ("e_billet",),
        featured=True,
    )
    yield _undated(
        t,
        "sogec",
        Kind.BILLET_OUVERT,
        "cinema",
        "Place Les Écrans de France — billet papier",
        "Une place par billet, envoyée par courrier, valable dans les cinémas du réseau.",
        (12.5, 8.9, 6),
        800,
        ("courrier",),
    )
    yield _undated(
        t,
        "sogec",
        Kind.BILLET_OUVERT,
        "cinema",
        "Ciné Lumière Lyon — place à l'unité",
        "Valable dans les quatre salles Ciné Lumière de la métropole lyonnaise.",
        (11.5, 7.8, 5),
        3,
        ("e_billet", "courrier"),
        region=RA,
        city="Lyon",
    )
    yield _undated(
        t,
        "sogec",
        Kind.BILLET_OUVERT,
        "cinema",
        "Cinéma Le Majestic — place à l'unité",
        "Le cinéma du centre de Lille, douze salles et séances en version originale.",
        (11, 7.5, 5),
        300,
        ("e_billet",),
        region=NORD,
        venue="Cinéma Le Majestic",
        city="Lille",
    )
    yield _undated(
        t,
        "sogec",
        Kind.BILLET_OUVERT,
        "cinema",
        "Ciné-Bretagne — place valable dans 40 salles",
        "Cinémas indépendants de Bretagne, de Brest à Saint-Malo.",
        (10.5, 7.2, 4.8),
        400,
        ("e_billet", "courrier"),
        region=BZH,
    )
    # -- cartes et chèques réduction ----------------------------------------------------------
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "Carte cadeau Maison & Jardin — 50 €",
        "E-carte de 50 € valable dans 300 magasins de décoration et de jardinage.",
        (50, 47.5, 40),
        1000,
        ("email",),
        face_value=50,
        physical=False,
    )
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "Chèques Lecture — carnet de 5 × 20 €",
        "Cinq chèques de 20 € à utiliser en librairie, envoyés par la poste.",
        (100, 95, 80),
        300,
        ("poste",),
        face_value=100,
        featured=True,
    )
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "Carte Sport & Forme — 100 €",
        "E-carte pour les clubs de sport, piscines et magasins d'articles de sport partenaires.",
        (100, 94, 80),
        500,
        ("email",),
        face_value=100,
        physical=False,
    )
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "Carte cadeau Galeries du Centre — 150 €",
        "Carte physique valable dans les grands magasins Galeries du Centre et en ligne.",
        (150, 143, 128),
        200,
        ("poste",),
        face_value=150,
    )
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "Carte cadeau multi-enseignes — 500 €",
        "Carte physique acceptée dans 400 enseignes ; envoi en valeur déclarée.",
        (500, 480, 455),
        40,
        ("poste",),
        face_value=500,
        per_order_max=2,
    )
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "Carte Réduc'Loisirs — 12 mois",
        "Jusqu'à 30 % de réduction dans 2 000 lieux de loisirs, carte envoyée par la poste.",
        (30, 25, 15),
        600,
        ("poste", "email"),
    )
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "Chèque Restaurant Gourmet — 25 €",
        "E-chèque valable dans 5 000 restaurants partenaires.",
        (25, 24, 20),
        1000,
        ("email",),
        face_value=25,
        physical=False,
    )
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "E-carte Spa et Bien-être — 80 €",
        "Soins, massages et hammams dans 600 instituts.",
        (80, 76, 66),
        0,
        ("email",),
        face_value=80,
        physical=False,
    )
    yield _undated(
        t,
        AVANTAGES,
        Kind.CARTE,
        "cartes-et-cheques",
        "Pass Loisirs Bretagne — carnet de réductions",
        "Réductions dans 150 sites de loisirs bretons : musées, parcs, îles et croisières.",
        (20, 17, 10),
        120,
        ("poste",),
        region=BZH,
    )
    # -- abonnements magazines -----------------------------------------------------------
    mags = [
        ("Le Journal de la Santé — 1 an (11 numéros)", "Le mensuel santé et prévention.", 59, 44),
        (
            "Horizons Voyages — 12 numéros",
            "Reportages et carnets de route du monde entier.",
            72,
            54,
        ),
        (
            "Jeunes Lecteurs — 1 an (8-12 ans)",
            "Histoires, jeux et sciences pour les enfants.",
            65,
            48,
        ),
        ("Cuisine Facile — 1 an", "Recettes de saison et menus de la semaine.", 39, 29),
        ("Jardin & Potager — 2 ans", "Conseils pratiques pour le jardin, mois par mois.", 84, 60),
    ]
    for i, (title, summary, public, negotiated) in enumerate(mags):
        yield _undated(
            t,
            "kiosque",
            Kind.ABONNEMENT,
            "abonnements-magazines",
            title,
            summary,
            (public, negotiated, round(negotiated * 0.7)),
            10000,
            ("poste", "email") if i % 2 == 0 else ("poste",),
            valid_days=None,
            featured=i == 0,
        )
    yield _undated(
        t,
        "kiosque",
        Kind.ABONNEMENT,
        "abonnements-magazines",
        "L'Hebdo Actu — édition numérique, 52 numéros",
        "L'hebdomadaire d'actualité en version numérique, envoyé par e-mail chaque jeudi.",
        (129, 99, 69),
        10000,
        ("email",),
        valid_days=None,
        physical=False,
    )
    # -- chèques culture (R-CAP-6: 50 % participation, 75 € or 150 €) ---------------------
    for face in (75, 150):
        yield _undated(
            t,
            "sogec",
            Kind.CHEQUE_CULTURE,
            "cheques-culture",
            f"Chèques culture — carnet de {face} €",
            "Livres, musique, cinéma, spectacles et musées dans 30 000 lieux culturels. "
            "Une commande par agent et par an.",
            (face, face, face / 2),
            5000,
            ("poste",),
            face_value=face,
            per_order_max=1,
        )


def _vacances(t: date) -> Iterator[dict[str, Any]]:
    yield _stay(
        t,
        "Prix mini Mer — Saint-Jean-de-Monts, mobil-home 6 places",
        "Une semaine au village vacances des Dunes, piscine chauffée et clubs enfants.",
        "prix_mini",
        "Saint-Jean-de-Monts",
        620,
        380,
        150,
        7,
        30,
        featured=True,
    )
    yield _stay(
        t,
        "Prix mini Neige — chalet aux Saisies",
        "Une semaine en pension complète, forfait de ski 6 jours compris.",
        "prix_mini",
        "Hauteluce",
        780,
        520,
        80,
        7,
        20,
    )
    yield _stay(
        t,
        "Biarritz en famille — résidence club Côte des Basques",
        "Appartement 4 personnes, à 300 m de la plage, animations en soirée.",
        "prix_reduit_adultes",
        "Biarritz",
        890,
        560,
        130,
        7,
        15,
    )
    yield _stay(
        t,
        "Gîte des Gorges de l'Ardèche — semaine en famille",
        "Gîte 5 personnes au bord de la rivière, descente en canoë offerte.",
        "prix_reduit_adultes",
        "Vallon-Pont-d'Arc",
        640,
        400,
        110,
        7,
        8,
        region=RA,
    )
    yield _stay(
        t,
        "Colonie Montagne et VTT — Vercors (8-12 ans)",
        "Douze jours de VTT, escalade et veillées, encadrés par des animateurs diplômés.",
        "prix_reduit_enfants",
        "Autrans",
        950,
        950,
        125,
        12,
        24,
    )
    yield _stay(
        t,
        "Croisière sur le Rhône — de Lyon à Avignon",
        "Cinq nuits en bateau-hôtel, excursions et pension complète.",
        "libre_evasion_adultes",
        "Lyon",
        1190,
        890,
        95,
        5,
        2,
    )
    yield _stay(
        t,
        "Séjour linguistique en Irlande (13-17 ans)",
        "Deux semaines à Galway en famille d'accueil, 20 heures de cours par semaine.",
        "libre_evasion_enfants",
        "Galway",
        1650,
        1650,
        140,
        14,
        18,
    )
    yield _stay(
        t,
        "Séjour adapté — Découverte du Pays basque",
        "Une semaine pour adultes en situation de handicap, encadrement renforcé.",
        "sejours_adaptes",
        "Saint-Jean-Pied-de-Port",
        1420,
        1420,
        100,
        7,
        10,
    )
    yield _stay(
        t,
        "Week-end en Baie de Somme",
        "Deux nuits en chambre d'hôtes, balade guidée à la rencontre des phoques.",
        "libre_evasion_adultes",
        "Saint-Valery-sur-Somme",
        340,
        210,
        45,
        2,
        12,
        region=NORD,
    )


def demo_offers(today: date) -> list[dict[str, Any]]:
    """Every demo offer in the catalog import format (README, "Catalog import format")."""
    return [*_billetterie(today), *_avantages(today), *_vacances(today)]


def _slug(partner: Any) -> str:
    return partner["slug"] if isinstance(partner, dict) else partner


def seed_catalog(today: date) -> list[str]:
    """Import the demo offers not yet present (same title and partner); lines to print."""
    offers = demo_offers(today)
    existing = set(
        session().execute(select(Partner.slug, Offer.title).join_from(Offer, Partner)).all()
    )
    todo = [o for o in offers if (_slug(o["partner"]), o["title"]) not in existing]
    lines = [""]
    if not todo:
        lines.append(f"Catalogue de démonstration déjà chargé ({len(offers)} offres).")
    else:
        report = import_catalog({"offers": todo}, actor=ACTOR)
        if not report.ok:  # the demo data broke a catalog rule: a bug to fix here
            raise RuntimeError("; ".join(f"{p} : {m}" for p, m in report.errors))
        lines.append(
            f"Catalogue de démonstration : {report.offers} offre(s) et {report.sessions} "
            f"séance(s) ajoutées, {len(offers) - len(todo)} déjà présente(s)."
        )
    demo_keys = {(_slug(o["partner"]), o["title"]) for o in offers}
    rows = session().execute(
        select(Offer.id, Offer.title, Offer.category, Partner.slug)
        .join_from(Offer, Partner)
        .where(Offer.title.in_({title for _, title in demo_keys}))
        .order_by(Offer.id)
    )
    pictured = seed_pictures([(i, t, c) for i, t, c, slug in rows if (slug, t) in demo_keys])
    if pictured:
        lines.append(f"Images de démonstration : {pictured} image(s) dessinée(s).")
    lines += [
        "  À essayer : « Le Lac des cygnes » (séance dans 10 jours : courrier encore possible ;",
        "  le lendemain, 2 places), « Le Malade imaginaire » (séance dans 9 jours : plus de",
        "  courrier), « L'Avare » (complet), « Les Étoiles de Montmartre » (vente dans 7 jours),",
        "  « Concert du Nouvel An » (vente close dans 2 jours), « Océanorium de Brest » (en cours",
        "  d'approvisionnement).",
    ]
    return lines


# -- benchmark catalog (seed-demo --large) ---------------------------------------------------

_CITIES = [
    ("Paris", IDF),
    ("Versailles", IDF),
    ("Lyon", RA),
    ("Grenoble", RA),
    ("Saint-Étienne", RA),
    ("Rennes", BZH),
    ("Brest", BZH),
    ("Marseille", PACA),
    ("Nice", PACA),
    ("Bordeaux", AQ),
    ("Lille", NORD),
    ("Amiens", NORD),
    ("Caen", NORM),
    ("Rouen", NORM),
    ("Montpellier", LR),
    ("Poitiers", LPC),
    ("Nantes", PDL),
    ("Angers", PDL),
    ("Strasbourg", ALS),
    ("Metz", ALS),
    ("Toulouse", MP),
    ("Dijon", "Bourgogne-Franche-Comté"),
    ("Tours", "Centre-Val de Loire"),
    ("Reims", "Champagne-Ardenne"),
    ("Clermont-Ferrand", "Auvergne"),
    ("Limoges", LPC),
]
_VENUES = ["Théâtre municipal", "Zénith", "Palais des Sports", "Salle des Fêtes", "Arena",
           "Auditorium", "Espace culturel", "Chapiteau", "Stade", "Opéra"]  # fmt: skip
_WORDS = {
    "spectacles": (
        ["Le Bourgeois gentilhomme", "Cyrano", "Les Fourberies", "Le Cid", "Cabaret",
         "Gala de danse", "Illusions", "Le Tour du monde", "Carmen", "Les Mille et Une Nuits"],
        ["en tournée", "nouvelle création", "version intégrale", "spectacle familial",
         "mise en scène inédite"],
    ),
    "concerts": (
        ["Symphonie", "Nuit du jazz", "Tournée rock", "Récital de piano", "Chœur gospel",
         "Festival électro", "Chanson française", "Quatuor à cordes", "Big band", "Opéra"],
        ["en concert", "tournée d'adieu", "soirée exceptionnelle", "nouvel album", "live"],
    ),
    "sport": (
        ["Rugby", "Football", "Handball", "Basket", "Volley", "Hockey sur glace", "Tennis",
         "Athlétisme", "Patinage", "Cyclisme sur piste"],
        ["match de championnat", "demi-finale", "gala international", "derby", "coupe d'Europe"],
    ),
    "parcs-et-loisirs": (
        ["Parc aventure", "Zoo", "Aquarium", "Parc aquatique", "Parc d'attractions",
         "Ferme pédagogique", "Musée interactif", "Grotte", "Labyrinthe végétal", "Karting"],
        ["billet 1 jour", "entrée adulte", "entrée enfant", "pass famille", "nocturne"],
    ),
    "cinema": (
        ["Place de cinéma", "E-billet ciné", "Carnet cinéma", "Ciné-pass", "Place ciné 3D"],
        ["toutes salles", "réseau régional", "valable 1 an", "séances du soir", "VO"],
    ),
    "cartes-et-cheques": (
        ["Carte cadeau", "E-carte", "Chèque cadeau", "Carte de réduction", "Carnet de chèques"],
        ["mode", "bricolage", "restauration", "bien-être", "sport", "librairie", "voyage"],
    ),
    "abonnements-magazines": (
        ["Magazine", "Hebdo", "Mensuel", "Revue", "Journal"],
        ["de la maison", "nature", "histoire", "sciences", "cuisine", "jeunesse", "auto"],
    ),
    "cheques-culture": (["Chèques culture"], ["carnet"]),
    "sejours": (
        ["Séjour", "Semaine", "Colonie", "Week-end", "Croisière", "Gîte"],
        ["à la mer", "à la montagne", "à la campagne", "en famille", "découverte", "nature"],
    ),
}  # fmt: skip
_UNDATED = [
    (Kind.BILLET_OUVERT, "parcs-et-loisirs", ("e_billet", "courrier")),
    (Kind.BILLET_OUVERT, "cinema", ("e_billet",)),
    (Kind.CARTE, "cartes-et-cheques", ("email",)),
    (Kind.CARTE, "cartes-et-cheques", ("poste",)),
    (Kind.ABONNEMENT, "abonnements-magazines", ("poste",)),
    (Kind.ABONNEMENT, "abonnements-magazines", ("email", "poste")),
    (Kind.SEJOUR, "sejours", ("email",)),
    (Kind.CHEQUE_CULTURE, "cheques-culture", ("poste",)),
]
_DATED = ["spectacles", "concerts", "sport"]
_HOURS = ["14:30", "15:00", "16:00", "18:30", "20:00", "20:30", "20:30", "21:00"]


def _utc(day: date, hhmm: str) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    local = datetime.combine(day, time(h, m), tzinfo=PARIS)
    return local.astimezone(UTC).replace(tzinfo=None)


def _large_offer(
    rng: random.Random, i: int, today: date, now: datetime, partners: list[tuple[int, str]]
) -> dict[str, Any]:
    """One benchmark offer as a row dict; every other one is a dated event."""
    city, region = rng.choice(_CITIES)
    dated = i % 2 == 0
    if dated:
        kind, category, deliveries = Kind.BILLET_DATE, _DATED[(i // 2) % 3], "courrier,e_billet"
        if rng.random() < 0.5:
            deliveries += ",retrait"
    else:
        kind, category, modes = _UNDATED[(i // 2) % len(_UNDATED)]
        deliveries = ",".join(sorted(modes))
    first, second = _WORDS[category]
    title = f"{rng.choice(first)} {rng.choice(second)} — {city} n° {i + 1}"
    venue = f"{rng.choice(_VENUES)} de {city}" if kind in (Kind.BILLET_DATE,) else None
    summary = f"{title}, proposé à prix C.G.O.S."
    description = f"Offre de démonstration générée pour les mesures de charge ({category})."
    public = rng.randrange(800, 12000, 50)
    negotiated = public - rng.randrange(0, public // 5 + 1, 10)
    cgos = negotiated - rng.randrange(0, negotiated // 2 + 1, 10)
    face = None
    stay_start = stay_end = None
    family = None
    if kind == Kind.CHEQUE_CULTURE:
        face = rng.choice((7500, 15000))
        public = negotiated = face
        cgos = face // 2
    elif kind == Kind.SEJOUR:
        public = negotiated = cgos = rng.randrange(30000, 180000, 1000)
        family = rng.choice(
            ("prix_mini", "prix_reduit_adultes", "prix_reduit_enfants", "libre_evasion_adultes")
        )
        stay_start = today + timedelta(days=rng.randrange(20, 300))
        stay_end = stay_start + timedelta(days=rng.choice((2, 5, 7, 14)))
    national = rng.random() < 0.4
    return {
        "partner_id": partners[i % len(partners)][0],
        "kind": kind.value,
        "category": category,
        "title": title,
        "summary": summary,
        "description": description,
        "venue": venue,
        "city": city,
        "region": None if national else region,
        "public_price_cents": public,
        "negotiated_price_cents": negotiated,
        "cgos_price_cents": cgos,
        "child_public_price_cents": public * 6 // 10 if kind == Kind.SEJOUR else None,
        "face_value_cents": face,
        "per_order_max": 10,
        "regional_ticketing": dated and not national and rng.random() < 0.3,
        "physical": "poste" in deliveries or "courrier" in deliveries,
        "deliveries": deliveries,
        "stock": None if dated else rng.choice((0, 2, 50, 200, 1000, 5000)),
        "supply_state": "en_cours" if rng.random() < 0.05 else "en_stock",
        "sale_opens_at": None,
        "sale_closes_at": None,
        "valid_from": None if dated else today,
        "valid_until": None if dated else today + timedelta(days=365),
        "stay_family": family,
        "stay_starts_on": stay_start,
        "stay_ends_on": stay_end,
        "featured": rng.random() < 0.02,
        "published": rng.random() < 0.97,
        **offer_search_columns(
            title=title,
            category=category,
            kind=kind,
            summary=summary,
            description=description,
            venue=venue,
            city=city,
            partner=partners[i % len(partners)][1],
        ),
        "created_at": now - timedelta(minutes=rng.randrange(0, 60 * 24 * 90)),
        "updated_at": now,
    }


def seed_large(
    offers: int = 10_000, sessions: int = 50_000, *, batch: int = 1000, seed: int = 2026
) -> list[str]:
    """Benchmark catalog: ``offers`` more offers (half of them dated) sharing ``sessions``
    sessions over the next six months, written with Core bulk inserts in one transaction.
    Skipped when the catalog already holds ``offers`` offers or more.
    """
    existing = session().scalar(select(func.count()).select_from(Offer)) or 0
    if existing >= offers:
        return [f"Le catalogue compte déjà {existing} offres : catalogue de charge non ajouté."]
    rng = random.Random(seed)
    today = clock.today()
    now = clock.utcnow()
    dated_total = (offers + 1) // 2
    per_offer, extra = divmod(sessions, dated_total)
    moments: dict[tuple[int, str], datetime] = {}
    made_offers = made_sessions = dated_seen = 0
    with unit_of_work() as s:
        partners = [
            (pid, name)
            for pid, name in s.execute(select(Partner.id, Partner.name).order_by(Partner.id))
        ]
        if not partners:
            return ["Aucun partenaire : lancez d'abord seed-demo sans --large."]
        pictures = large_picture_set(list(_WORDS))  # every card shows a picture (issue 21)
        made_pictures = 0
        for start in range(0, offers, batch):
            rows = [
                _large_offer(rng, i, today, now, partners)
                for i in range(start, min(start + batch, offers))
            ]
            ids = s.scalars(
                insert(Offer).returning(Offer.id, sort_by_parameter_order=True), rows
            ).all()
            made_pictures += insert_large_pictures(
                s, [(i, row["category"]) for i, row in zip(ids, rows, strict=True)], pictures
            )
            session_rows: list[dict[str, Any]] = []
            for offer_id, row in zip(ids, rows, strict=True):
                if row["kind"] != Kind.BILLET_DATE:
                    continue
                count = per_offer + (1 if dated_seen < extra else 0)
                dated_seen += 1
                for _ in range(count):
                    key = (rng.randrange(1, 183), rng.choice(_HOURS))
                    if key not in moments:
                        moments[key] = _utc(today + timedelta(days=key[0]), key[1])
                    session_rows.append(
                        {
                            "offer_id": offer_id,
                            "starts_at": moments[key],
                            "venue": None,
                            "city": None,
                            "stock": rng.choice((0, 1, 3, 20, 50, 100, 200, 500)),
                            "supply_state": "en_stock",
                            "cancelled": rng.random() < 0.01,
                        }
                    )
            if session_rows:
                s.execute(insert(OfferSession), session_rows)
            made_offers += len(rows)
            made_sessions += len(session_rows)
        audit.record(
            ACTOR,
            "catalog.large_seeded",
            "catalog",
            after={"offers": made_offers, "sessions": made_sessions, "pictures": made_pictures},
        )
    if get_db().dialect == "postgresql":
        # Fresh statistics, or the planner guesses 11 rows where there are thousands.
        with unit_of_work() as s:
            s.execute(text("ANALYZE offers, offer_sessions, offer_pictures, offer_picture_sizes"))
    return [f"Catalogue de charge : {made_offers} offres et {made_sessions} séances ajoutées."]
