"""``flask --app wsgi seed-demo``: partners, staff and a dozen agents covering RULES.md §2.

Idempotent: running it again updates the same records and prints the same codes.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select

from auth.codes import CODE_ALPHABET, CODE_LENGTH
from auth.models import StaffUser
from auth.services import create_staff, issue_access_code
from demo.catalog import seed_catalog
from members.dossier_format import Child, DossierRecord
from members.importer import save_records
from partners.models import Partner
from reports.budgets import set_budget
from shop import clock
from shop.db import session, unit_of_work
from shop.money import format_eur

PARTNERS = [
    ("sogec", "SOGEC Gestion — Billetterie C.G.O.S"),
    ("festibillet", "Festibillet Spectacles"),
    ("kiosque", "Kiosque Presse Abonnements"),
]

STAFF = [
    ("operateur@cgos-loisirs.example", "Odile Opératrice", "operator", None, "operateur-demo-2026"),
    ("admin@cgos-loisirs.example", "Alain Administrateur", "admin", None, "admin-demo-2026!"),
    ("expedition@sogec.example", "Paula Partenaire", "partner", "sogec", "partenaire-demo-2026"),
    # R-REP-4: reads the reports (/gestion/rapports) and nothing else; changes nothing.
    (
        "gestion@cgos-loisirs.example",
        "Gaëlle Gestionnaire",
        "gestionnaire",
        None,
        "gestion-demo-2026!",
    ),
]
# R-REP-1: the current year's participation budgets, national and for a few regions, in
# euros, with their alert threshold in percent.
BUDGETS = [
    (None, 2_400_000, 80),
    ("Rhône-Alpes", 320_000, 80),
    ("Île-de-France", 450_000, 85),
    ("Bretagne", 90_000, 75),
]


def _demo_code(number: str) -> str:
    rng = random.Random(f"demo-{number}")  # noqa: S311 - demo data, printed on purpose
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def agent_record(
    number: str,
    civilite: str,
    prenom: str,
    nom: str,
    birth: date,
    household: str,
    *,
    status: str = "actif",
    year: int | None,
    qf: int | None,
    region: str = "Rhône-Alpes",
    etab: tuple[str, str] = ("Hospices Civils de Lyon", "Lyon"),
    address: tuple[str, str, str] = ("12 rue de la République", "69002", "Lyon"),
    children: tuple[Child, ...] = (),
    email: str | None = "",
) -> DossierRecord:
    if email == "":
        email = f"{prenom.lower()}.{nom.lower()}@exemple.fr".replace(" ", "-")
    return DossierRecord(
        cgos_number=number,
        civilite=civilite,
        nom=nom,
        prenom=prenom,
        birth_date=birth,
        email=email,
        phone="06 12 34 56 78",
        address_line1=address[0],
        address_line2=None,
        postal_code=address[1],
        city=address[2],
        country="FR",
        etablissement=etab[0],
        etablissement_city=etab[1],
        region=region,
        status=status,
        dossier_year=year,
        qf_cents=qf,
        household_id=household,
        children=children,
    )


def demo_agents(today: date) -> list[tuple[DossierRecord, str]]:
    """The agents of RULES.md §13, with a one-line description each."""
    y = today.year
    martin_children = (
        Child("Léa", date(y - 8, 3, 14), "a_charge"),
        Child("Zoé", date(y - 20, 6, 2), "alternee"),  # 20 on 31 Dec: counts
        Child("Tom", date(y - 21, 1, 20), "non_a_charge"),  # 21 on 31 Dec: does not
    )
    return [
        (
            agent_record(
                "12345678A",
                "Mme",
                "Marie",
                "Dupont",
                date(1980, 4, 12),
                "H-DUPONT",
                year=y,
                qf=69600,
                children=(
                    Child("Hugo", date(y - 10, 9, 1), "a_charge"),
                    Child("Inès", date(y - 22, 2, 11), "non_a_charge"),
                ),
            ),
            "active, QF 696,00 €, un enfant de 10 ans et un de 22 ans",
        ),
        (
            agent_record(
                "23456789B",
                "M.",
                "Paul",
                "Martin",
                date(1978, 11, 3),
                "H-MARTIN",
                year=y,
                qf=84250,
                region="Île-de-France",
                etab=("AP-HP Hôpital Saint-Louis", "Paris"),
                address=("8 avenue Parmentier", "75011", "Paris"),
                children=martin_children,
            ),
            "couple d'agents (avec Sophie Martin), enfants de 8, 20 et 21 ans",
        ),
        (
            agent_record(
                "23456790C",
                "Mme",
                "Sophie",
                "Martin",
                date(1981, 7, 22),
                "H-MARTIN",
                year=y,
                qf=84250,
                region="Île-de-France",
                etab=("AP-HP Hôpital Lariboisière", "Paris"),
                address=("8 avenue Parmentier", "75011", "Paris"),
                children=martin_children,
            ),
            "couple d'agents (avec Paul Martin), même plafond",
        ),
        (
            agent_record(
                "34567890D",
                "M.",
                "Karim",
                "Benali",
                date(1990, 2, 5),
                "H-BENALI",
                year=y,
                qf=None,
                region="Provence-Alpes-Côte d'Azur-Corse",
                etab=("AP-HM Hôpital de la Timone", "Marseille"),
                address=("40 boulevard Baille", "13005", "Marseille"),
            ),
            "quotient familial inconnu",
        ),
        (
            agent_record(
                "45678901E",
                "Mme",
                "Julie",
                "Leroy",
                date(1985, 12, 30),
                "H-LEROY",
                year=y - 1,
                qf=105000,
                region="Bretagne",
                etab=("CHU de Rennes", "Rennes"),
                address=("3 rue de Brest", "35000", "Rennes"),
            ),
            f"droits expirés (dossier {y - 1} : droits jusqu'au 31 octobre {y})",
        ),
        (
            agent_record(
                "56789012F",
                "M.",
                "Thomas",
                "Moreau",
                date(1988, 5, 17),
                "H-MOREAU",
                status="disponibilite",
                year=y,
                qf=72000,
                etab=("CH de Villefranche-sur-Saône", "Gleizé"),
            ),
            "en disponibilité : droits suspendus",
        ),
        (
            agent_record(
                "67890123G",
                "M.",
                "Bernard",
                "Petit",
                date(1955, 8, 9),
                "H-PETIT",
                status="retraite",
                year=y,
                qf=131000,
                region="Normandie",
                etab=("CHU de Caen", "Caen"),
                address=("5 place Saint-Sauveur", "14000", "Caen"),
            ),
            "retraité : droits conservés",
        ),
        (
            agent_record(
                "78901234H",
                "Dr",
                "Claire",
                "Roux",
                date(1975, 1, 28),
                "H-ROUX",
                status="pm",
                year=y,
                qf=210000,
            ),
            "personnel médical : renvoyé vers son portail",
        ),
        (
            agent_record(
                "89012345J",
                "Mme",
                "Nadia",
                "Haddad",
                date(1986, 10, 1),
                "H-HADDAD",
                year=y,
                qf=59999,
                region="Nord-Pas de Calais Picardie",
                etab=("CHU de Lille", "Lille"),
                address=("2 rue Solférino", "59000", "Lille"),
                children=(
                    Child("Adam", date(y - 6, 4, 4), "a_charge"),
                    Child("Sara", date(y - 12, 12, 24), "a_charge"),
                ),
            ),
            "parent isolé, deux enfants, QF 599,99 €",
        ),
        (
            agent_record(
                "90123456K",
                "M.",
                "Henri",
                "Blanc",
                date(1970, 3, 3),
                "H-BLANC",
                year=y,
                qf=127000,
                email=None,
            ),
            "pas d'e-mail dans le dossier ; QF 1 270,00 €",
        ),
        (
            agent_record(
                "11223344L",
                "M.",
                "Yann",
                "Le Gall",
                date(1992, 9, 9),
                "H-LEGALL",
                year=y,
                qf=127001,
                region="Bretagne",
                etab=("CHU de Brest", "Brest"),
                address=("1 rue de Siam", "29200", "Brest"),
            ),
            "région Bretagne, QF 1 270,01 €",
        ),
        (
            agent_record(
                "22334455M",
                "Mme",
                "Anne",
                "Girard",
                date(1983, 6, 6),
                "H-GIRARD",
                year=y,
                qf=60001,
                region="Aquitaine",
                etab=("CHU de Bordeaux", "Bordeaux"),
                address=("10 cours de l'Intendance", "33000", "Bordeaux"),
                children=(Child("Jules", date(y - 3, 1, 1), "alternee"),),
            ),
            "QF 600,01 €, un enfant en résidence alternée",
        ),
    ]


def seed() -> list[str]:
    """Create or refresh everything; return the lines to print."""
    today = clock.today()
    lines = ["Données de démonstration chargées.", ""]
    with unit_of_work() as s:
        for slug, name in PARTNERS:
            if s.scalar(select(Partner).where(Partner.slug == slug)) is None:
                s.add(Partner(slug=slug, name=name, created_at=clock.utcnow()))
    catalog_lines = seed_catalog(today)
    agents = demo_agents(today)
    save_records([rec for rec, _ in agents], actor="seed-demo")
    lines.append("Agents (page /connexion : N° C.G.O.S + code d'accès prestataires) :")
    for rec, description in agents:
        code = issue_access_code(
            rec.cgos_number, actor="seed-demo", send=False, code=_demo_code(rec.cgos_number)
        )
        lines.append(f"  {rec.cgos_number}  code {code}  {rec.prenom} {rec.nom} — {description}")
    lines += [
        "",
        "Personnel (page /gestion/connexion : e-mail + mot de passe) ; l'opératrice,",
        "l'administrateur et la gestionnaire activent leur second facteur à la première",
        "connexion (QR code ou clé à saisir dans une application TOTP : FreeOTP, Aegis,",
        "Google Authenticator…) ; la gestionnaire ne voit que les rapports (/gestion/rapports) :",
    ]
    for email, name, role, partner, password in STAFF:
        if session().scalar(select(StaffUser).where(StaffUser.email == email)) is None:
            create_staff(email, name, role, password, partner, actor="seed-demo")
        lines.append(f"  {role:<12} {email}  mot de passe {password}")
    lines += ["", f"Budgets de participation {today.year} (/gestion/rapports/budgets) :"]
    for region, euros, alert in BUDGETS:
        budget = set_budget(
            "seed-demo",
            year=today.year,
            region=region,
            amount_cents=euros * 100,
            alert_percent=alert,
        )
        lines.append(
            f"  {budget.region or 'National':<16} {format_eur(budget.amount_cents)}, alerte à "
            f"{budget.alert_percent} %"
        )
    return lines + catalog_lines
