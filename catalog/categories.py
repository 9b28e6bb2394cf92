"""The store's sections and categories (home page, listings, filters)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    section: str


SECTIONS: tuple[tuple[str, str], ...] = (
    ("billetterie", "Billetterie"),
    ("avantages", "Avantages"),
    ("vacances", "Vacances"),
)

CATEGORIES: tuple[Category, ...] = (
    Category("spectacles", "Spectacles", "billetterie"),
    Category("concerts", "Concerts", "billetterie"),
    Category("sport", "Sport", "billetterie"),
    Category("parcs-et-loisirs", "Parcs et loisirs", "billetterie"),
    Category("cinema", "Cinéma", "billetterie"),
    Category("cartes-et-cheques", "Cartes et chèques réduction", "avantages"),
    Category("abonnements-magazines", "Abonnements magazines", "avantages"),
    Category("cheques-culture", "Chèques culture", "avantages"),
    Category("sejours", "Séjours vacances", "vacances"),
)

BY_SLUG: dict[str, Category] = {c.slug: c for c in CATEGORIES}


def in_section(section: str) -> list[Category]:
    return [c for c in CATEGORIES if c.section == section]
