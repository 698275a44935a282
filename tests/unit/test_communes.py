"""Unit tests of backoffice.rules.communes: which commune a postal code and a typed town designate.

The candidates are the communes of tests/data/communes-extrait.json (an extract of the official
file), grouped by postal code as the commune_code_postal table holds them.
"""
import json
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice import rules
from backoffice.rules.communes import (
    CODE_POSTAL_INVALID,
    VILLE_REQUIRED,
    clean_code_postal,
    is_cedex,
    is_france,
    match_commune,
    shown,
    town_key,
)

EXTRACT = Path(__file__).resolve().parents[1] / "data" / "communes-extrait.json"


class C(NamedTuple):
    code_insee: str
    nom: str
    region_code: str


def _by_postcode() -> dict[str, list[C]]:
    table = defaultdict(list)
    for item in json.loads(EXTRACT.read_text(encoding="utf-8")):
        if item["type"] == "commune-actuelle":
            for cp in item["codesPostaux"]:
                table[cp].append(C(item["code"], item["nom"], item["region"]))
    return table


BY_CP = _by_postcode()
ALL = sorted({c for cs in BY_CP.values() for c in cs})


def pick(cp: str, ville):
    return match_commune(cp, ville, BY_CP.get(cp, []))


# ---------------------------------------------------------------- normalising a typed name

@pytest.mark.parametrize("typed, official", [
    ("COULOMMIERS", "Coulommiers"),
    ("coulommiers cedex", "Coulommiers"),
    ("Coulommiers Cedex 02", "Coulommiers"),
    ("St Germain en Laye", "Saint-Germain-en-Laye"),
    ("ST-GERMAIN-EN-LAYE CEDEX", "Saint-Germain-en-Laye"),
    ("Ste Genevieve des Bois", "Sainte-Geneviève-des-Bois"),
    ("STE-GENEVIÈVE DES BOIS", "Sainte-Geneviève-des-Bois"),
    ("L'HAY LES ROSES", "L'Haÿ-les-Roses"),
    ("lhay-les-roses", "L'Haÿ-les-Roses"),
    ("L’Haÿ les Roses", "L'Haÿ-les-Roses"),
    ("Paris 11e", "Paris"),
    ("Paris 11e arrondissement", "Paris"),
    ("PARIS 11", "Paris"),
    ("Paris Cedex 11", "Paris"),
    ("Paris 1er", "Paris"),
    ("Lyon 3ème arrondissement", "Lyon"),
    ("OEUILLY", "Œuilly"),
    ("  Évry   Courcouronnes ", "Évry-Courcouronnes"),
    ("Saint Ouen s/ Seine", "Saint-Ouen-sur-Seine"),
    ("Villiers le Bacle", "Villiers-le-Bâcle"),
])
def test_town_key_ignores_what_people_type_differently(typed, official):
    """Case, accents, ligatures, hyphens, apostrophes, St/Ste, s/, Cedex and arrondissements do not count."""
    assert town_key(typed) == town_key(official) != ""


@pytest.mark.parametrize("a, b", [("Saint-Denis", "Saint-Aubin"), ("Marolles-en-Brie", "Mouroux"),
                                  ("Sainte-Geneviève-des-Bois", "Saint-Geneviève-des-Bois")])
def test_town_key_keeps_different_names_apart(a, b):
    """Different names stay different (Saint and Sainte included)."""
    assert town_key(a) != town_key(b)


def test_clean_code_postal():
    """Spaces are dropped; anything but 5 ASCII digits is no postal code."""
    assert clean_code_postal(" 77 120 ") == "77120"
    for bad in ("7712", "771200", "7712A", "", None, 77120, "\u0667\u0667\u0661\u0662\u0660"):
        assert clean_code_postal(bad) is None


def test_is_cedex_and_is_france():
    """A Cedex mention is seen in any form; a blank country is France (the column's default)."""
    assert is_cedex("Melun Cedex") and is_cedex("MELUN CEDEX 11") and is_cedex("Paris cédex11")
    assert not is_cedex("Melun") and not is_cedex(None)
    assert all(is_france(p) for p in ("FRANCE", "France", "fr", "", None, "France métropolitaine"))
    assert not any(is_france(p) for p in ("Belgique", "Suisse", "FRANCE BELGIQUE"))


# ---------------------------------------------------------------- picking the commune

def test_paris_every_postcode_and_arrondissement_spelling():
    """Each of Paris's 21 postal codes (75116 included) designates the one commune 75056."""
    codes = [cp for cp, cs in BY_CP.items() if any(c.code_insee == "75056" for c in cs)]
    assert len(codes) == 21 and "75116" in codes
    for cp in codes:
        for typed in ("Paris", "PARIS", f"Paris {int(cp[3:])}e", f"PARIS CEDEX {cp[3:]}"):
            assert pick(cp, typed).commune.code_insee == "75056", (cp, typed)


def test_a_postcode_of_several_communes_picks_the_one_typed():
    """77120 serves nine communes: the typed one is chosen, with its INSEE code."""
    assert len(BY_CP["77120"]) == 9
    assert pick("77120", "Mouroux").commune.code_insee == "77320"
    assert pick("77120", "coulommiers").commune.code_insee == "77131"
    assert pick("91190", "St Aubin").commune.code_insee == "91538"


def test_a_postcode_shared_by_two_regions_picks_the_commune_and_its_region():
    """01590 is an Ain postal code, but Chancia is in the Jura (region 27), Dortan in the Ain (84)."""
    assert (pick("01590", "Chancia").commune.code_insee, pick("01590", "Chancia").commune.region_code) == ("39102", "27")
    assert pick("01590", "DORTAN").commune.region_code == "84"


def test_a_commune_whose_postcode_names_another_departement():
    """94390 is Paray-Vieille-Poste, a commune of the Essonne (91)."""
    assert pick("94390", "Paray Vieille Poste").commune.code_insee == "91479"


def test_a_leading_article_may_be_left_out_when_only_one_commune_fits():
    """'Mée-sur-Seine' finds Le Mée-sur-Seine (77350)."""
    assert pick("77350", "Mee sur Seine").commune.code_insee == "77285"


def test_mismatch_lists_the_communes_of_the_postcode():
    """A town that is not one of the postcode's communes: the French message names them (at most 8)."""
    match = pick("77120", "Meaux")
    assert not match.found and match.field == "ville"
    assert match.message == ("La ville « Meaux » ne correspond pas au code postal 77120 (Amillis, Aulnoy, "
                             "Beautheil-Saints, Chailly-en-Brie, Coulommiers, Giremoutiers, Marolles-en-Brie, "
                             "Mauperthuis, …).")
    assert pick("91190", "Orsay").message == ("La ville « Orsay » ne correspond pas au code postal 91190 "
                                              "(Gif-sur-Yvette, Saint-Aubin, Villiers-le-Bâcle).")


def test_unknown_invalid_and_blank():
    """Unknown or malformed postal code at the code_postal field, a blank town at the ville field."""
    unknown = match_commune("99999", "Nulle Part", [])
    assert (unknown.field, unknown.message) == ("code_postal", "Le code postal 99999 ne correspond à aucune commune.")
    assert (pick("7712", "Coulommiers").field, pick("7712", "Coulommiers").message) == ("code_postal", CODE_POSTAL_INVALID)
    for blank in ("", "   ", None, "-- ' --"):
        assert (pick("77120", blank).field, pick("77120", blank).message) == ("ville", VILLE_REQUIRED)


def test_cedex_candidates_of_the_departement():
    """A CEDEX code (not in the referential) is matched on the département's communes, by name."""
    melun = [c for c in ALL if c.code_insee == "77288"]
    assert match_commune("77011", "MELUN CEDEX", melun, cedex_departement="77").commune.code_insee == "77288"
    missed = match_commune("77011", "Meaux Cedex", melun, cedex_departement="77")
    assert missed.field == "ville" and "département 77" in missed.message and "CEDEX 77011" in missed.message


def test_message_quotes_the_typed_text_on_one_bounded_line():
    """Control characters and line breaks never reach a message; a long text is cut."""
    match = pick("77120", "Meaux\n\x00<b>" + "x" * 500)
    assert "\n" not in match.message and "\x00" not in match.message and len(match.message) < 400
    assert shown("a\u2028b\tc") == "a b c"


# ---------------------------------------------------------------- hostile input

VALUES = st.one_of(st.text(), st.text(alphabet="0123456789 ", max_size=8), st.none(), st.integers(),
                   st.binary(max_size=10), st.text(min_size=300, max_size=3000))


@settings(max_examples=400, deadline=None)
@given(cp=VALUES, ville=VALUES, postcode=st.sampled_from(sorted(BY_CP)))
def test_never_raises_and_always_answers(cp, ville, postcode):
    """Whatever is typed, an answer: a commune among the candidates, or a French message at a field."""
    for code in (cp, postcode):
        candidates = BY_CP.get(code if isinstance(code, str) else "", []) or BY_CP[postcode]
        match = match_commune(code, ville, candidates)
        if match.found:
            assert match.commune in candidates and match.message is None
        else:
            assert match.field in ("code_postal", "ville") and isinstance(match.message, str)
            assert all(unicodedata.category(ch)[0] != "C" for ch in match.message)


@settings(max_examples=300, deadline=None)
@given(commune=st.sampled_from(ALL), upper=st.booleans(), sep=st.sampled_from([" ", "-", "  ", " - ", "'"]),
       strip_accents=st.booleans(), cedex=st.sampled_from(["", " Cedex", " CEDEX 12", " cedex09"]))
def test_every_spelling_of_an_official_name_finds_it(commune, upper, sep, strip_accents, cedex):
    """The official name, in capitals or not, accents stripped or not, any separator, with a Cedex
    mention, finds its commune through each of its postal codes."""
    typed = commune.nom.replace("-", sep)
    if strip_accents:
        typed = "".join(ch for ch in unicodedata.normalize("NFKD", typed) if not unicodedata.combining(ch))
    typed = (typed.upper() if upper else typed) + cedex
    for cp, candidates in BY_CP.items():
        if commune in candidates:
            assert match_commune(cp, typed, candidates).commune == commune, (cp, typed)


def test_rules_package_exports():
    """The matching is importable from backoffice.rules like every rule."""
    assert rules.match_commune is match_commune and rules.town_key is town_key
