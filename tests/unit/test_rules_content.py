"""Unit tests of backoffice.rules.content: the LHEO content of actions and sessions (prices, inscription
and information dates, subcontracting, funders, coded values, web addresses, lengths)."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice import rules
from backoffice.rules import content

TOTAL, HORAIRE = rules.PRICES["prix_total_ttc"], rules.PRICES["prix_horaire_ttc"]


@given(st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2))
def test_any_price_in_cents_up_to_lheos_ten_characters_is_accepted(price):
    """Every amount of 0 to 9 999 999,99 € in cents fits LHEO's prix-total-TTC (10 characters)."""
    assert rules.check_price(price, *TOTAL) is None
    assert len(f"{price:.2f}") <= 10


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_a_refused_price_is_negative_too_large_or_in_fractions_of_a_cent(price):
    """A price is refused exactly when it is negative, above the maximum or has more than two decimals."""
    message = rules.check_price(price, *HORAIRE)
    wrong = price < 0 or price > Decimal("999.99") or price != price.quantize(Decimal("0.01"))
    assert (message is not None) == wrong
    if message:
        assert message.startswith("Le prix horaire TTC")


@pytest.mark.parametrize("value, expected", [
    (Decimal("-0.01"), "Le prix total TTC ne peut pas être négatif."),
    (Decimal("10000000"), "Le prix total TTC ne peut pas dépasser 9 999 999,99 €."),
    (Decimal("12.345"), "Le prix total TTC s'exprime en euros et centimes : deux décimales au plus."),
    (Decimal("NaN"), "Le prix total TTC doit être un montant en euros."),
    ("douze", "Le prix total TTC doit être un montant en euros."),
    (None, None), (Decimal("0"), None),
])
def test_price_messages(value, expected):
    """Each refusal says what is wrong, in French."""
    assert rules.check_price(value, *TOTAL) == expected


def test_euros_text_groups_digits_the_french_way():
    """1250.5 -> '1 250,50'; the largest LHEO price reads whole."""
    assert [rules.euros_text(v) for v in (Decimal("1250.5"), "0", Decimal("9999999.99"))] == [
        "1 250,50", "0,00", "9 999 999,99"]


@pytest.mark.parametrize("debut, fin, expected", [
    (None, None, []),
    ("20270601", "20270831", []),
    ("20270900", "20270915", []),  # a month and a day of it: the end may be in the start's month
    ("20270000", "20271231", []),
    ("20270601", None, [("inscription_fin", "Indiquez aussi la fin de la période d'inscription.")]),
    ("", "20270601", [("inscription_debut", "Indiquez aussi le début de la période d'inscription.")]),
    ("20270901", "20270831", [("inscription_fin", "La fin de la période d'inscription ne peut pas précéder son début.")]),
    ("20271300", "20270831", [("inscription_debut", rules.DATE_FORMAT_MESSAGE)]),
    ("20270601", "00000000", [("inscription_fin", rules.DATE_FORMAT_MESSAGE)]),
])
def test_inscription_period(debut, fin, expected):
    """Both ends or neither, valid LHEO dates (day or month 00 when unknown), the end not before the start."""
    assert rules.check_inscription_period(debut, fin) == expected


LHEO_DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))  # rules.DATE_MIN_YEAR..MAX


@given(LHEO_DAYS, LHEO_DAYS)
def test_inscription_period_refused_exactly_when_it_ends_before_it_starts(first, second):
    """For any two exact days, the period is refused if and only if its end precedes its start."""
    errors = rules.check_inscription_period(first.strftime("%Y%m%d"), second.strftime("%Y%m%d"))
    assert bool(errors) == (second < first)


def test_dates_information():
    """Up to three valid LHEO dates, comma-separated, as the column holds them."""
    assert rules.check_dates_information(None) is None
    assert rules.check_dates_information("20270615,20270700,2027000") == rules.DATE_FORMAT_MESSAGE
    assert rules.check_dates_information("20270615,20270700,20270000") is None
    assert rules.check_dates_information("20270615,20270616,20270617,20270618") == \
        "Indiquez au plus 3 dates d'information."
    assert rules.split_dates(" 20270615, ,20270700 ") == ["20270615", "20270700"]


@pytest.mark.parametrize("siret, raison, uai, fields", [
    (None, None, None, []),
    ("35600000000048", "Sous-traitant", None, []),
    ("35600000000048", "Sous-traitant", "0750001U", []),
    ("35600000000048", None, None, ["formateur_raison_sociale"]),
    (None, "Sous-traitant", None, ["formateur_siret"]),
    (None, None, "0750001U", ["formateur_siret", "formateur_raison_sociale"]),
    ("35600000000049", "Sous-traitant", "0750001A", ["formateur_siret", "formateur_uai"]),
])
def test_formateur_needs_siret_and_raison_sociale(siret, raison, uai, fields):
    """LHEO's organisme-formateur needs both its SIRET and its raison sociale; its UAI is optional but valid."""
    assert [field for field, _message in rules.check_formateur(siret, raison, uai)] == fields


def test_normalize_formateur():
    """Spaces dropped, UAI in capitals, blank -> None."""
    assert rules.normalize_formateur("356 000 000 00048", " 0750001u ") == ("35600000000048", "0750001U")
    assert rules.normalize_formateur("", None) == (None, None)


@given(st.lists(st.tuples(st.sampled_from([str(n) for n in range(21)]), st.none() | st.integers(-5, 50)),
                max_size=12))
def test_financeurs(rows):
    """Refused exactly when more than 8 rows, a financeur twice, or negative places."""
    codes = [code for code, _ in rows]
    wrong = len(rows) > 8 or len(set(codes)) != len(codes) or any(p is not None and p < 0 for _, p in rows)
    assert bool(rules.check_financeurs(rows)) == wrong


def test_action_content():
    """Coded values from the LHEO tables, web addresses, lengths and LHEO's counts, each at its field."""
    good = {"parcours": "1", "validation_blocs": None, "public_vise": "x" * 250, "url_formation": "https://a.fr/f"}
    assert rules.check_action_content(good, {"publics": 10, "langues": 5}) == []
    bad = {"parcours": "9", "validation_blocs": "3", "public_vise": "x" * 251, "url_action": "javascript:alert(1)"}
    errors = rules.check_action_content(bad, {"publics": 11, "romes": 6})
    assert [field for field, _ in errors] == ["parcours", "validation_blocs", "public_vise", "url_action", "publics",
                                              "romes"]
    assert ("publics", "Choisissez au plus 10 publics visés.") in errors


def test_foreign_blocs():
    """A bloc of a certification the action does not prepare is named."""
    assert rules.foreign_blocs([("RNCP1BC01", 1)], [1, 2]) is None
    assert "RNCP3BC02" in rules.foreign_blocs([("RNCP1BC01", 1), ("RNCP3BC02", 3)], [1])


def test_session_content_reports_every_field_at_once():
    """All the session's LHEO fields are checked together, each message at its field."""
    values = {"prix_total_ttc": Decimal("-1"), "prix_horaire_ttc": Decimal("1000"), "url_session": "ftp://x.fr",
              "inscription_debut": "20270901", "inscription_fin": "20270801", "dates_information": "2027",
              "formateur_siret": "123", "frais_restants": "x" * 201}
    fields = [field for field, _ in rules.check_session_content(values, [("2", 1), ("2", 2)])]
    assert fields == ["prix_total_ttc", "prix_horaire_ttc", "frais_restants", "url_session", "inscription_fin",
                      "dates_information", "formateur_siret", "formateur_raison_sociale", "financeurs"]
    assert rules.check_session_content({}, []) == []
    assert set(content.SESSION_CONTENT_COLUMNS) >= {"prix_total_ttc", "url_session", "formateur_uai"}
