"""Factories and request helpers shared by the test modules: dossier lines, a stay's fields,
logins, the agent's cart and checkout, the offer forms of partners and operators.

A test module imports helpers from here (or from its folder's ``helpers.py``), never from
another test module; shared fixtures are in the ``conftest.py`` files."""

from __future__ import annotations

import html as html_lib
import re
import struct
import zlib
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

from sqlalchemy import select

_counter = iter(range(10_000_000, 99_999_999))


def agent_json(**overrides: Any) -> dict[str, Any]:
    """One line of the dossier import format (RULES.md §13), valid unless overridden."""
    n = next(_counter)
    data: dict[str, Any] = {
        "cgos_number": f"{n:08d}T",
        "civilite": "Mme",
        "nom": "Testeuse",
        "prenom": "Camille",
        "birth_date": "1984-05-20",
        "email": f"camille.{n}@exemple.fr",
        "phone": "0600000000",
        "address": {
            "line1": "1 rue de l'Hôpital",
            "line2": None,
            "postal_code": "69003",
            "city": "Lyon",
            "country": "FR",
        },
        "etablissement": "Hospices Civils de Lyon",
        "etablissement_city": "Lyon",
        "region": "Rhône-Alpes",
        "status": "actif",
        "dossier_year": date.today().year,
        "qf": 696.0,
        "household_id": f"H-{n}",
        "children": [],
    }
    data.update(overrides)
    return data


def stay_fields(
    family: str = "prix_reduit_adultes", starts: date = date(2027, 7, 10), **overrides: Any
) -> dict[str, Any]:
    """A week's stay from ``starts``: 620 € per adult, 380 € per child (public prices), 30
    places, bookable until 1 March 2027 unless overridden. Fits make_offer and OfferData."""
    fields: dict[str, Any] = dict(
        kind="sejour",
        category="sejours",
        title="Village vacances — Saint-Jean-de-Monts",
        public_price_cents=62000,
        negotiated_price_cents=62000,
        cgos_price_cents=62000,
        child_public_price_cents=38000,
        deliveries=("email",),
        stock=30,
        stay_family=family,
        stay_starts_on=starts,
        stay_ends_on=starts + timedelta(days=7),
        sale_closes_at=datetime(2027, 3, 1, 12, 0),
    )
    fields.update(overrides)
    return fields


def login_agent(client: Any, number: str, code: str) -> Any:
    return client.post("/connexion", data={"cgos_number": number, "access_code": code})


# Recovery codes of the staff that ``enrol_second_factor`` enrolled, by e-mail: the login
# helper uses one when the TOTP codes of the (frozen) time window are all used.
STAFF_RECOVERY_CODES: dict[str, list[str]] = {}


def enrol_second_factor(app: Any, email: str) -> str:
    """Enrol a staff member's TOTP through the services, as the enrolment page does, with
    the code of the previous time step (so that this step and the next stay free for
    logins); returns the secret in clear."""
    import pyotp

    from auth import second_factor, staff
    from auth.models import StaffUser
    from shop.db import session

    with app.app_context():
        user = session().scalar(select(StaffUser).where(StaffUser.email == email))
        secret = staff.start_enrolment(user)
        step = second_factor.current_step() - 1
        code = pyotp.TOTP(secret).at(step * second_factor.STEP_SECONDS)
        STAFF_RECOVERY_CODES[email] = staff.confirm_enrolment(user, code)
    return secret


def staff_second_factor_code(app: Any, email: str) -> str:
    """A code the store will accept now for this enrolled account: the TOTP code of a time
    step not used yet (drift window), else one of its recovery codes."""
    import pyotp

    from auth import second_factor
    from auth.models import StaffUser
    from shop.db import session

    with app.app_context():
        user = session().scalar(select(StaffUser).where(StaffUser.email == email))
        secret = second_factor.unseal(user.totp_secret, user.id)
        now = second_factor.current_step()
        for step in (now - 1, now, now + 1):
            if user.totp_last_step is None or step > user.totp_last_step:
                return pyotp.TOTP(secret).at(step * second_factor.STEP_SECONDS)
    return STAFF_RECOVERY_CODES[email].pop()


def login_staff(client: Any, email: str, password: str, next: str | None = None) -> Any:
    """Password, then the second factor when the account has one (R-SEC-1); returns the
    last response (the redirect home, or a refusal)."""
    url = "/gestion/connexion" + (f"?next={next}" if next else "")
    resp = client.post(url, data={"email": email, "password": password})
    if resp.status_code == 302 and resp.location == "/gestion/connexion/code":
        code = staff_second_factor_code(client.application, email.strip().lower())
        resp = client.post(resp.location, data={"code": code})
    return resp


class Operator:
    """A back-office operator as services see their ``actor`` (audit label, role)."""

    role = "operator"
    is_staff = True
    audit_label = "staff:ops@test"


NOW_PARIS = datetime(2027, 3, 1, 10, 0)  # 09:00 UTC


def utc(dt_paris: datetime) -> datetime:
    from shop.clock import PARIS

    return dt_paris.replace(tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


YEAR = NOW_PARIS.year


def text(resp) -> str:
    return resp.get_data(as_text=True)


def set_used(app, household_id: str, cents: int) -> None:
    from orders.models import HouseholdYear
    from shop.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        row = s.get(HouseholdYear, (household_id, YEAR))
        if row is None:
            s.add(HouseholdYear(household_id=household_id, year=YEAR, used_cents=cents))
        else:
            row.used_cents = cents


def session_id_of(app, offer_id: int, index: int = 0) -> int:
    from catalog.models import OfferSession
    from shop.db import session

    with app.app_context():
        ids = [
            s.id for s in session().query(OfferSession).filter_by(offer_id=offer_id).order_by("id")
        ]
    return ids[index]


def add(client, offer_id, quantity, delivery="e_billet", session_id=None):
    data = {"quantity": str(quantity), "delivery": delivery}
    if session_id:
        data["session_id"] = str(session_id)
    return client.post(f"/panier/ajouter/{offer_id}", data=data)


def checkout_form(client) -> dict[str, str]:
    page = text(client.get("/commande/"))
    token = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
    total = re.search(r'name="expected_total" value="(\d+)"', page).group(1)
    return {
        "checkout_token": token,
        "expected_total": total,
        "email": "acheteur@exemple.fr",
        "accept_cgv": "1",
    }


def stock_of(app, offer_id):
    from catalog.models import Offer
    from shop.db import session

    with app.app_context():
        return session().get(Offer, offer_id).stock


def order_of(app, number=None):
    from orders.models import Order
    from shop.db import session

    with app.app_context():
        q = session().query(Order)
        return q.filter_by(number=number).one() if number else q.order_by(Order.id.desc()).first()


def order_by_cheque(client, offer_id, qty=1) -> str:
    add(client, offer_id, qty)
    resp = client.post("/commande/", data=checkout_form(client) | {"payment_method": "cheque"})
    return resp.location.rsplit("/", 1)[1]


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "topic": "commande",
        "nom": "Durand",
        "prenom": "Sophie",
        "etablissement": "CHU de Grenoble",
        "email": "sophie.durand@exemple.fr",
        "phone": "06 12 34 56 78",
        "order_number": "",
        "body": "Mes billets ne sont pas arrivés.",
    }
    data.update(overrides)
    return data


CODE_RE = re.compile(r"prestataires CGOS Loisirs : ([A-Z0-9]{8})")


def _step1(client, number, year="1984", month="5"):
    return client.post(
        "/code-acces", data={"cgos_number": number, "birth_year": year, "birth_month": month}
    )


def _step2(client, email, confirm=None):
    return client.post(
        "/code-acces/adresse", data={"email": email, "email_confirm": confirm or email}
    )


def tiny_png() -> bytes:
    """A valid 1×1 PNG, built here so the test needs no file."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x00\x55\x8c")  # filter byte + one blue pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def offer_form(**overrides: Any) -> dict[str, Any]:
    """A valid posted offer form (undated park ticket), as a browser would send it."""
    data: dict[str, Any] = {
        "kind": "billet_ouvert",
        "category": "parcs-et-loisirs",
        "title": "Parc des Félins",
        "summary": "Une journée au parc",
        "description": "",
        "venue": "",
        "city": "Nesles",
        "region": "",
        "public_price": "32,00",
        "negotiated_price": "28,00",
        "cgos_price": "19,50",
        "child_public_price": "",
        "face_value": "",
        "per_order_max": "10",
        "deliveries": ["e_billet"],
        "stock": "200",
        "supply_state": "en_stock",
        "sale_opens_at": "",
        "sale_closes_at": "",
        "valid_from": "",
        "valid_until": "",
        "stay_family": "",
        "stay_starts_on": "",
        "stay_ends_on": "",
        "published": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_form(**overrides: Any) -> dict[str, Any]:
    """The edit form of an offer made by ``make_offer`` with kind billet_ouvert."""
    data = offer_form(
        title="Le Lac des cygnes",
        summary="Ballet en deux actes",
        venue="Opéra de Lyon",
        city="Lyon",
        public_price="40,00",
        negotiated_price="40,00",
        cgos_price="25,00",
        deliveries=["e_billet", "courrier"],
    )
    del data["stock"], data["supply_state"]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def page(resp: Any, status: int = 200) -> str:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:2000])
    return html_lib.unescape(resp.get_data(as_text=True))


def error_beside(text: str, field_id: str) -> str:
    """The error message rendered next to one field (``<p id="<field>-erreur">``)."""
    found = re.search(rf'id="{re.escape(field_id)}-erreur">(.*?)</p>', text, re.S)
    assert found, f"no error beside {field_id}"
    return found.group(1).strip()


def audit_entries(app: Any, subject_prefix: str, action: str | None = None) -> list[Any]:
    from shop.audit import AuditEntry
    from shop.db import session

    with app.app_context():
        stmt = select(AuditEntry).where(AuditEntry.subject.startswith(subject_prefix))
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return list(session().scalars(stmt.order_by(AuditEntry.id)))


def load(app: Any, model: Any, key: Any) -> Any:
    from shop.db import session

    with app.app_context():
        return session().get(model, key)


def offer_titled(app: Any, title: str) -> Any:
    from catalog.models import Offer
    from shop.db import session

    with app.app_context():
        return session().scalar(select(Offer).where(Offer.title == title))


def _upload(client: Any, oid: int, data: bytes, name: str = "photo.png", alt: str = "Le parc"):
    return client.post(
        f"/partenaire/offres/{oid}/images",
        data={"picture": (BytesIO(data), name), "alt": alt},
        content_type="multipart/form-data",
    )


def dated(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "partner": "sogec",
        "kind": "billet_date",
        "category": "spectacles",
        "title": "Le Lac des cygnes",
        "summary": "Ballet en deux actes",
        "description": "Tournée nationale.",
        "venue": "Amphithéâtre du Palais des Congrès",
        "city": "Lyon",
        "region": None,
        "public_price": 59,
        "negotiated_price": "52,00",
        "cgos_price": 12.5,
        "deliveries": ["e_billet", "courrier", "retrait"],
        "sessions": [
            {"starts_at": "2027-01-15T20:30", "stock": 40},
            {
                "starts_at": "2027-07-14T15:00:00+02:00",
                "stock": 2,
                "venue": "Dôme de la Porte Maillot",
                "city": "Paris",
                "supply_state": "en_cours",
            },
        ],
    }
    data.update(overrides)
    return data
