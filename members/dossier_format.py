"""The dossier record and its JSON form (RULES.md §13), shared by the import and the remote
dossier service. Pure: a dict in, a frozen record or a list of field errors out.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from members.emails import InvalidEmail, normalise_email
from members.numbers import is_valid_cgos_number, normalise_cgos_number
from members.regions import REGIONS
from members.rights import FiscalStatus, Status


@dataclass(frozen=True)
class Child:
    prenom: str
    birth_date: date
    fiscal_status: str


@dataclass(frozen=True)
class DossierRecord:
    cgos_number: str
    civilite: str
    nom: str
    prenom: str
    birth_date: date
    email: str | None
    phone: str | None
    address_line1: str
    address_line2: str | None
    postal_code: str
    city: str
    country: str
    etablissement: str
    etablissement_city: str
    region: str
    status: str
    dossier_year: int | None
    qf_cents: int | None
    household_id: str
    children: tuple[Child, ...] = ()


# Every field of a record but its children: the columns of the dossier_agents table.
AGENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(DossierRecord) if f.name != "children")

# The JSON keys of RULES.md §13; the import refuses any other (``strict``).
TOP_KEYS = frozenset(
    {
        "cgos_number", "civilite", "nom", "prenom", "birth_date", "email", "phone",
        "address", "etablissement", "etablissement_city", "region", "status",
        "dossier_year", "qf", "household_id", "children",
    }
)  # fmt: skip
ADDRESS_KEYS = frozenset({"line1", "line2", "postal_code", "city", "country"})
CHILD_KEYS = frozenset({"prenom", "birth_date", "fiscal_status"})
# Column sizes of auth/models.py, so a value the database would refuse is reported here.
MAX_LENGTHS = {
    "civilite": 10,
    "nom": 120,
    "prenom": 120,
    "phone": 40,
    "line1": 200,
    "line2": 200,
    "postal_code": 10,
    "city": 120,
    "etablissement": 200,
    "etablissement_city": 120,
    "region": 80,
    "household_id": 40,
}
EARLIEST_BIRTH = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)  # when the caller gives no ``today``
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_QF = Decimal(1_000_000)  # euros a month: far above any household, inside INTEGER cents


class DossierFormatError(ValueError):
    """Every bad field of one record, as ``(path, French reason)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(f"{path} : {reason}" for path, reason in errors))
        self.errors = errors


def _text(
    data: dict[str, Any], key: str, errors: list, path: str, required: bool = True
) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append((path + key, "champ obligatoire manquant"))
        return None
    if not isinstance(value, str):
        errors.append((path + key, "doit être un texte"))
        return None
    if "\x00" in value:
        errors.append((path + key, "caractère nul interdit"))
        return None
    limit = MAX_LENGTHS.get(key)
    if limit and len(value.strip()) > limit:
        errors.append((path + key, f"texte trop long ({limit} caractères au plus)"))
        return None
    return value.strip()


def _date(
    data: dict[str, Any], key: str, errors: list, path: str, latest: date = LATEST_DAY
) -> date | None:
    """A birth date: ISO format, from 1900 to ``latest`` (today for an import)."""
    raw = data.get(key)
    if not isinstance(raw, str):
        errors.append((path + key, "date attendue au format AAAA-MM-JJ"))
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append((path + key, f"date invalide : {raw!r} (format AAAA-MM-JJ)"))
        return None
    if not EARLIEST_BIRTH <= day <= latest:
        errors.append(
            (path + key, f"date hors limites : {raw!r} (du {EARLIEST_BIRTH} au {latest})")
        )
        return None
    return day


def _unknown(data: dict[str, Any], allowed: frozenset[str], errors: list, path: str) -> None:
    errors.extend((path + str(key), "champ inconnu") for key in sorted(set(data) - allowed))


def parse_dossier(data: Any, *, strict: bool = False, today: date | None = None) -> DossierRecord:
    """Validate one JSON object; raise DossierFormatError naming every bad field.

    ``strict`` (the import) refuses unknown keys, where the remote service may add some;
    ``today`` bounds birth dates (pure: the caller reads the clock)."""
    if not isinstance(data, dict):
        raise DossierFormatError([("", "un objet JSON est attendu")])
    errors: list[tuple[str, str]] = []
    latest = today or LATEST_DAY
    if strict:
        _unknown(data, TOP_KEYS, errors, "")
    number = normalise_cgos_number(data.get("cgos_number") or "")
    if not is_valid_cgos_number(number):
        errors.append(("cgos_number", "8 chiffres suivis d'une lettre attendus"))
    civilite = _text(data, "civilite", errors, "")
    nom = _text(data, "nom", errors, "")
    prenom = _text(data, "prenom", errors, "")
    birth = _date(data, "birth_date", errors, "", latest)
    email = _text(data, "email", errors, "", required=False)
    if email:
        try:
            email = normalise_email(email)
        except InvalidEmail:
            errors.append(("email", f"adresse e-mail invalide : {email!r}"))
    phone = _text(data, "phone", errors, "", required=False)
    address = data.get("address")
    line1 = line2 = postal = city = None
    country = "FR"
    if not isinstance(address, dict):
        errors.append(("address", "objet adresse attendu"))
    else:
        if strict:
            _unknown(address, ADDRESS_KEYS, errors, "address.")
        line1 = _text(address, "line1", errors, "address.")
        line2 = _text(address, "line2", errors, "address.", required=False)
        postal = _text(address, "postal_code", errors, "address.")
        city = _text(address, "city", errors, "address.")
        country = (_text(address, "country", errors, "address.", required=False) or "FR").upper()
        if len(country) != 2:
            errors.append(("address.country", "code pays à 2 lettres attendu"))
    etab = _text(data, "etablissement", errors, "")
    etab_city = _text(data, "etablissement_city", errors, "")
    region = _text(data, "region", errors, "")
    if region and region not in REGIONS:
        errors.append(("region", f"région inconnue : {region!r}"))
    status = data.get("status")
    if status not in {s.value for s in Status}:
        errors.append(("status", f"statut inconnu : {status!r}"))
    year = data.get("dossier_year")
    if year is not None and (
        not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR
    ):
        errors.append(("dossier_year", f"année attendue ({MIN_YEAR} à {MAX_YEAR}) ou null"))
        year = None
    qf_raw = data.get("qf")
    qf_cents: int | None = None
    if qf_raw is not None:
        try:
            if isinstance(qf_raw, bool):
                raise InvalidOperation
            qf_dec = Decimal(str(qf_raw))
            if not qf_dec.is_finite() or not 0 <= qf_dec <= MAX_QF:
                raise InvalidOperation
            qf_cents = int((qf_dec * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        except InvalidOperation:
            errors.append(("qf", f"quotient familial invalide : {qf_raw!r}"))
    household = _text(data, "household_id", errors, "")
    children: list[Child] = []
    raw_children = data.get("children", [])
    if not isinstance(raw_children, list):
        errors.append(("children", "liste attendue"))
        raw_children = []
    for i, raw in enumerate(raw_children):
        path = f"children[{i}]."
        if not isinstance(raw, dict):
            errors.append((f"children[{i}]", "objet attendu"))
            continue
        if strict:
            _unknown(raw, CHILD_KEYS, errors, path)
        c_prenom = _text(raw, "prenom", errors, path)
        c_birth = _date(raw, "birth_date", errors, path, latest)
        c_status = raw.get("fiscal_status")
        if c_status not in {s.value for s in FiscalStatus}:
            errors.append((path + "fiscal_status", f"statut fiscal inconnu : {c_status!r}"))
        elif c_prenom and c_birth:
            children.append(Child(c_prenom, c_birth, c_status))
    if errors:
        raise DossierFormatError(errors)
    missing = "a required field read as None has put its error above"
    assert civilite and nom and prenom and birth and line1 and postal and city, missing
    assert etab and etab_city and region and household and isinstance(status, str), missing
    return DossierRecord(
        cgos_number=number,
        civilite=civilite,
        nom=nom,
        prenom=prenom,
        birth_date=birth,
        email=email,
        phone=phone,
        address_line1=line1,
        address_line2=line2,
        postal_code=postal,
        city=city,
        country=country,
        etablissement=etab,
        etablissement_city=etab_city,
        region=region,
        status=status,
        dossier_year=year,
        qf_cents=qf_cents,
        household_id=household,
        children=tuple(children),
    )
