"""The agent search's normalised key (R-OPS-1): accents, case, punctuation and spaces
forgiven; a phone typed the French way; the key bounded by its column."""

from __future__ import annotations

from members.search_key import KEY_LENGTH, normalise, phone_digits, query_terms, search_key


def test_normalise_forgives_accents_case_ligatures_and_punctuation():
    assert normalise("  Hôpital  LARIBOISIÈRE ") == "hopital lariboisiere"
    assert normalise("Jean-Pierre") == normalise("jean  pierre") == "jean pierre"
    assert normalise("Cœur d'Œuvre Straße") == "coeur d oeuvre strasse"
    assert normalise(None) == normalise("") == normalise("%_'") == ""


def test_phone_digits_the_french_way():
    assert phone_digits("+33 6 12 34 56 78") == phone_digits("06.12.34.56.78") == "0612345678"
    assert phone_digits(None) == ""


def test_key_holds_every_searchable_field_and_squashed_names():
    key = search_key(
        {
            "cgos_number": "12345678A",
            "nom": "Le Gall",
            "prenom": "Jean-Pierre",
            "etablissement": "Hôpital Lariboisière",
            "etablissement_city": "Paris",
            "city": "Saint-Denis",
            "email": "JP.LeGall@exemple.fr",
            "phone": "+33 6 12 34 56 78",
        }
    )
    for part in ("12345678a", "le gall", "legall", "jeanpierre", "hopital", "saint denis"):
        assert part in key
    assert "jp legall exemple fr" in key and "0612345678" in key
    assert key.startswith(" ") and key.endswith(" ")
    assert len(search_key({"nom": "x" * 5000})) == KEY_LENGTH


def test_query_terms():
    assert query_terms("  Jean--Pierre  HÔPITAL ") == (
        ["jean", "pierre", "hopital"],
        "jeanpierrehopital",
    )
    assert query_terms("%%") == ([], "")
    assert len(query_terms("a b c d e f g h")[0]) == 6
