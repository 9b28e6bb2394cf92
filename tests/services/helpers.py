"""Helpers of the service tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from alembic import command
from sqlalchemy.engine import Engine


def migrate(engine: Engine, cfg: Any, how: str, revision: str) -> None:
    """``how`` is "upgrade" or "downgrade", run on ``engine`` in one transaction."""
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, how)(cfg, revision)


# Rows as the migration tests write them below a revision (raw SQL, the columns of then).
ORDER = {  # orders, from revision 0012 on
    "id": 1,
    "number": "L27-000001",
    "checkout_token": "tok",
    "cgos_number": "10000001T",
    "household_id": "H-1",
    "year": 2027,
    "status": "paid",
    "payment_method": "card",
    "channel": "phone",
    "placed_by": "test",
    "placed_at": datetime(2027, 3, 1, 9, 0),
    "goods_cents": 100,
    "participation_cents": 0,
    "fees_cents": 0,
    "total_cents": 100,
    "holder_name": "M. Test",
    "contact_email": "t@exemple.fr",
    "ship_address": "{}",
    "cgv_accepted_at": datetime(2027, 3, 1, 9, 0),
}

AGENT = {  # dossier_agents, from 0016 on (its search_key after)
    "cgos_number": "12345678A",
    "household_id": "H-1",
    "civilite": "M.",
    "nom": "Le Gall",
    "prenom": "Jean-Pierre",
    "birth_date": date(1980, 4, 12),
    "email": "JP.LeGall@exemple.fr",
    "phone": "+33 6 12 34 56 78",
    "address_line1": "1 rue de l'Hôpital",
    "postal_code": "75010",
    "city": "Paris",
    "country": "FR",
    "etablissement": "Hôpital Lariboisière",
    "etablissement_city": "Paris",
    "region": "Île-de-France",
    "status": "actif",
    "updated_at": datetime(2027, 3, 1, 9, 0),
}
