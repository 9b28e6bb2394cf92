"""The operators' agent search (R-OPS-1): N°, name, établissement, city, e-mail or phone,
forgiving accents, case, punctuation and spaces, through ``dossier_agents.search_key``."""

from __future__ import annotations

from sqlalchemy import Select, and_, or_, select

from members.models import DossierAgent
from members.search_key import query_terms


def agent_search(q: str) -> Select | None:
    """Every agent whose key holds each word typed (or the whole query squashed), by name;
    None when nothing searchable was typed. The words hold only ``a-z0-9``: no ``LIKE``
    wildcard can come from the operator."""
    words, squashed = query_terms(q)
    if not words:
        return None
    key = DossierAgent.search_key
    cond = and_(*(key.contains(w, autoescape=True) for w in words))
    if len(words) > 1:
        cond = or_(cond, key.contains(squashed, autoescape=True))
    return (
        select(DossierAgent)
        .where(cond)
        .order_by(DossierAgent.nom, DossierAgent.prenom, DossierAgent.cgos_number)
    )
