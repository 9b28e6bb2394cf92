"""The 16 regions of the C.G.O.S regional offices (R-DOS-1, R-CAT-4)."""

REGIONS: tuple[str, ...] = (
    "Aquitaine",
    "Auvergne",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Champagne-Ardenne",
    "Île-de-France",
    "Languedoc-Roussillon",
    "Limousin-Poitou-Charentes",
    "Lorraine-Alsace",
    "Midi-Pyrénées",
    "Nord-Pas de Calais Picardie",
    "Normandie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur-Corse",
    "Rhône-Alpes",
)
