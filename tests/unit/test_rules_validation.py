"""rules/validation.py and the rules that use it: mandatory text, the range of dates, hours that add
up, posted ids, the parent of a module, the justificatif's size in words."""
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from backoffice import rules
from backoffice.rules import validation
from backoffice.rules.content import check_action_content, check_dates_information, check_session_content

BLANKS = st.text(alphabet=" \t\n\r\u00a0\u202f", max_size=20)


@given(BLANKS)
def test_blank_text_is_no_content(text):
    assert validation.required_text(text) == "Ce champ est obligatoire."


@given(st.text(min_size=1).filter(lambda t: t.strip()))
def test_text_with_a_character_is_content(text):
    assert validation.required_text(text) is None


def test_required_text_none():
    assert validation.required_text(None) == validation.REQUIRED_MESSAGE


@given(st.dates())
def test_dates_in_range_exactly_1990_to_2100(value):
    expected = None if 1990 <= value.year <= 2100 else "La date doit être comprise entre 1990 et 2100."
    assert validation.date_in_range(value) == expected


def test_date_range_bounds():
    assert validation.date_in_range(date(1990, 1, 1)) is None
    assert validation.date_in_range(date(2100, 12, 31)) is None
    assert validation.date_in_range(date(1989, 12, 31)) is not None
    assert validation.date_in_range(date(2101, 1, 1)) is not None
    assert validation.date_in_range(date(1, 1, 1)) is not None
    assert validation.date_in_range(None) is None


def test_session_dates_refuse_out_of_range_then_order():
    assert rules.check_session_dates(date(1, 1, 1), date(2027, 1, 1)) == validation.DATE_RANGE_MESSAGE
    assert rules.check_session_dates(date(2027, 1, 1), date(2207, 1, 1)) == validation.DATE_RANGE_MESSAGE
    assert rules.check_session_dates(date(2027, 1, 2), date(2027, 1, 1)).startswith("La date de fin")
    assert rules.check_session_dates(date(2027, 1, 1), date(2027, 1, 1)) is None


def test_lheo_dates_of_the_session_content_in_range():
    errors = dict(check_session_content({"inscription_debut": "19800101", "inscription_fin": "20270101"}, []))
    assert errors == {"inscription_debut": validation.DATE_RANGE_MESSAGE}
    assert check_dates_information("20270915,21500101") == validation.DATE_RANGE_MESSAGE
    assert check_dates_information("20270915,2027XX01") == rules.DATE_FORMAT_MESSAGE
    assert check_dates_information("20270915,20270900") is None


hours = st.none() | st.decimals(min_value=0, max_value=999999, places=1)


@given(hours, hours, hours)
def test_hours_en_centre_and_entreprise_within_the_total(total, centre, entreprise):
    message = validation.check_hours_sum(total, centre, entreprise)
    over = total is not None and (centre or 0) + (entreprise or 0) > total
    assert (message is not None) == over
    if over:
        assert "ne peuvent pas dépasser la durée totale" in message


def test_hours_message_in_french_figures():
    assert validation.check_hours_sum(Decimal("35"), Decimal("30"), Decimal("5.5")) == (
        "Les heures en centre et en entreprise (35,5 h) ne peuvent pas dépasser la durée totale (35 h).")
    assert validation.check_hours_sum(Decimal("35"), Decimal("30"), Decimal("5")) is None


def test_session_content_refuses_hours_at_the_field():
    errors = check_session_content({"duree_totale": Decimal("100"), "heures_centre": Decimal("80"),
                                    "heures_entreprise": Decimal("40")}, [])
    assert [field for field, _ in errors] == ["heures_centre"]
    assert {"duree_totale", "heures_centre", "heures_entreprise"} <= set(rules.SESSION_CONTENT_COLUMNS)


def test_action_content_refuses_a_blank_intitule_only_when_given():
    assert ("intitule", "Ce champ est obligatoire.") in check_action_content({"intitule": " \t\n"}, {})
    assert check_action_content({"intitule": "Comptable"}, {}) == []
    assert check_action_content({}, {}) == []
    assert "intitule" in rules.ACTION_CONTENT_COLUMNS


@given(st.lists(st.text(max_size=4)), st.lists(st.text(max_size=4)))
def test_unknown_values_are_exactly_the_posted_strangers(posted, known):
    strangers = validation.unknown_values(posted, known)
    assert set(strangers) == {p.strip() for p in posted if p.strip() and p.strip() not in set(known)}
    assert len(strangers) == len(set(strangers))


def test_unknown_values_compare_as_text():
    assert validation.unknown_values(["12", "x", "", "12"], [12, 13]) == ["x"]


def test_foreign_row_ids():
    assert validation.foreign_row_ids(["3", None, "", "99"], [3, 4]) == ["99"]
    assert validation.foreign_row_ids(["1"], []) == ["1"]
    assert validation.foreign_row_ids([None, ""], []) == []


def test_module_parent():
    assert validation.module_parent_problem("action", True) is None
    assert validation.module_parent_problem("action", False) == validation.MODULE_PARENT_MESSAGE
    assert validation.module_parent_problem("module", True) == validation.MODULE_PARENT_MESSAGE
    assert validation.module_parent_problem(None, None) is not None


def test_justificatif_limit_says_its_bytes():
    message = rules.validate_justificatif(b"%PDF-1.7", rules.JUSTIFICATIF_MAX_BYTES)
    assert message == "Le justificatif doit peser moins de 1 Mo (1 000 000 octets)."
    assert "1 Mo (1 000 000 octets)" in rules.JUSTIFICATION_REQUIRED
    assert rules.validate_justificatif(b"%PDF-1.7", rules.JUSTIFICATIF_MAX_BYTES - 1) is None


# ------------------------------------------------------------------ the LHEO import applies the same rules


def _parse_riche(*replacements):
    from io import BytesIO

    from backoffice.lheo_import.parser import Parser
    from backoffice.lheo_import.reader import formations
    from backoffice.lheo_import.report import ImportReport
    from tests.lheo_import_helpers import RICHE
    text = RICHE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    report = ImportReport("test")
    parsed = [Parser(report, el.get("numero"), removed).formation(el)
              for el, removed in formations(BytesIO(text.encode("utf-8")), report)]
    sessions = [s for f in parsed if f is not None for s in f["sessions"]]
    return sessions, report


def test_import_drops_hours_above_the_total_with_a_french_reason():
    sessions, report = _parse_riche()
    assert any(s["heures_centre"] == "800" for s in sessions)  # 800 + 400 within 1200: kept
    sessions, report = _parse_riche(("<nombre-heures-centre>800</nombre-heures-centre>",
                                     "<nombre-heures-centre>900</nombre-heures-centre>"))
    assert not any(s["heures_centre"] == "900" for s in sessions)
    assert any("ne peuvent pas dépasser la durée totale" in p.message and "ignorées" in p.message
               for p in report.problems)


def test_import_refuses_a_session_date_outside_the_range():
    sessions, report = _parse_riche(("<debut>20270104</debut>", "<debut>19850104</debut>"))
    assert not any(s["date_debut"] == "1985-01-04" for s in sessions)
    assert any("comprise entre 1990 et 2100" in p.message for p in report.problems)
