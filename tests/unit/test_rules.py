"""Unit tests of backoffice.rules: the pure business rules."""
import ast
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from backoffice import rules
from backoffice.rules import (
    ACCOMPAGNEMENT_MANDATORY,
    ACTION_MANDATORY,
    CARIF_OREF_MAP_URL,
    CONTRACTUAL_FIELDS,
    IDF_DEPARTEMENTS,
    INACTIVATION_DAYS,
    JUSTIFICATIF_MAX_BYTES,
    NUMERO_PREFIX,
    SESSION_MANDATORY,
    UAI_LETTERS,
    archiving_date,
    check_registration_perimeter,
    check_session_dates,
    check_session_place,
    departement_of,
    find_doublon,
    format_numero,
    inactivation_date,
    is_cpf,
    is_idf_region,
    latest_end_archived_by,
    latest_end_reminded_by,
    locked_fields,
    locked_violations,
    login_base,
    make_login,
    missing_fields,
    normalize_siret,
    normalize_title,
    normalize_uai,
    parse_lock_policy,
    parse_numero,
    reminder_date,
    title_warning,
    uai_letter,
    validate_justificatif,
    validate_nda,
    validate_siret,
    validate_uai,
)

# ---------------------------------------------------------------- the module itself

RULE_MODULES = sorted(Path(rules.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("path", RULE_MODULES, ids=lambda p: p.name)
def test_module_is_pure_python(path):
    """The rules import neither Flask nor SQLAlchemy: only the standard library, dateutil, stdnum."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 if not node.level}
    roots = {name.split(".")[0] for name in imported}
    assert roots <= set(sys.stdlib_module_names) | {"__future__", "dateutil", "stdnum"}, roots


# ---------------------------------------------------------------- identifiers

def test_numero_prefixes():
    """The three prefixes: OF_, AF_, SE_."""
    assert NUMERO_PREFIX == {"organisme": "OF", "action": "AF", "session": "SE"}


@pytest.mark.parametrize("prefix, n, expected", [
    ("AF", 25392, "AF_0000025392"),
    ("SE", 193353, "SE_0000193353"),
    ("OF", 1, "OF_0000000001"),
    ("AF", 9_999_999_999, "AF_9999999999"),
])
def test_format_numero(prefix, n, expected):
    """Prefix, underscore, 10 zero-padded digits."""
    assert format_numero(prefix, n) == expected


@pytest.mark.parametrize("prefix, n", [
    ("AF", 0), ("AF", -1), ("AF", 10**10), ("AF", True), ("AF", 1.0), ("AF", "5"),
    ("XX", 1), ("af", 1), ("", 1),
])
def test_format_numero_refuses_out_of_range(prefix, n):
    """Numbers outside 1..10**10-1, non-integers and unknown prefixes raise ValueError."""
    with pytest.raises(ValueError):
        format_numero(prefix, n)


def test_parse_numero_round_trips():
    """parse_numero inverts format_numero for every prefix, at both ends of the range."""
    for prefix in NUMERO_PREFIX.values():
        for n in (1, 9, 10, 25392, 193353, 10**10 - 1):
            assert parse_numero(format_numero(prefix, n)) == (prefix, n)


@pytest.mark.parametrize("text", [
    "af_0000025392", "Af_0000025392", "AF_000002539", "AF_00000253920", "AF-0000025392",
    "AF0000025392", " AF_0000025392", "AF_0000025392 ", "AF_0000025392\n", "XX_0000025392",
    "AF_000002539\u0663", "AF_00000253a2", "AF_0000000000", "", None, 25392,
])
def test_parse_numero_is_strict(text):
    """Case, length, separator, whitespace, non-ASCII digits and zero are all refused."""
    assert parse_numero(text) is None


# ---------------------------------------------------------------- SIRET

@pytest.mark.parametrize("value", [
    "73282932000074", "732 829 320 00074", "732\u00a0829\u00a0320\u00a000074", " 73282932000074\t",
    "35600000000048",  # La Poste head office: Luhn-valid
    "35600000000001",  # a La Poste establishment: not Luhn, but its digits add up to a multiple of 5
])
def test_validate_siret_accepts_valid(value):
    """Real, checksum-valid SIRETs are accepted, spaces (even non-breaking) ignored."""
    assert validate_siret(value) is None


def test_validate_siret_bad_checksum():
    """A wrong last digit is reported as a control-key error."""
    assert validate_siret("73282932000075") == "Le SIRET n'est pas valide (clé de contrôle)."


def test_validate_siret_la_poste_bad_sum():
    """A La Poste SIRET whose digits do not add up to a multiple of 5 is refused."""
    assert validate_siret("35600000012345") == "Le SIRET n'est pas valide (clé de contrôle)."


@pytest.mark.parametrize("value", [
    "732829320000745", "7328293200007", "7328293200007A", "73282932O00074", "732-829-320-00074",
    "\u0667" * 14,
])
def test_validate_siret_wrong_shape(value):
    """Anything but 14 ASCII digits gets the length message."""
    assert validate_siret(value) == "Le SIRET doit comporter 14 chiffres."


@pytest.mark.parametrize("value", [None, "", "   "])
def test_validate_siret_blank(value):
    """A blank SIRET is reported as required."""
    assert validate_siret(value) == "Le SIRET est obligatoire."


def test_normalize_siret():
    """normalize_siret removes every kind of space and nothing else."""
    assert normalize_siret(" 732 829\u00a0320 00074 ") == "73282932000074"
    assert normalize_siret(None) == ""


# ---------------------------------------------------------------- NDA

@pytest.mark.parametrize("value", ["11755555575", "11 75 55555 75", " 11755555575 "])
def test_validate_nda_accepts_11_digits(value):
    """11 digits, spaces ignored, are accepted."""
    assert validate_nda(value) is None


@pytest.mark.parametrize("value", ["1175555557", "117555555751", "11AB5555575", "11-75-55555-75"])
def test_validate_nda_wrong_shape(value):
    """Anything but exactly 11 digits is refused with a message naming 11 digits."""
    assert validate_nda(value) == "Le numéro de déclaration d'activité doit comporter 11 chiffres."


def test_validate_nda_blank():
    """A blank NDA is reported as required."""
    assert validate_nda("  ") == "Le numéro de déclaration d'activité est obligatoire."


# ---------------------------------------------------------------- UAI

def test_uai_letters_alphabet():
    """The 23 control letters exclude I, O and Q."""
    assert len(UAI_LETTERS) == 23 and not set("IOQ") & set(UAI_LETTERS)


@pytest.mark.parametrize("uai", ["0750654D", "0750655E", "0750658H", "0783053V", "0690026D"])
def test_validate_uai_real_establishments(uai):
    """Real UAIs of Paris, Versailles and Lyon lycées (e.g. Henri-IV 0750654D) pass."""
    assert validate_uai(uai) is None


def test_validate_uai_computed_from_rule():
    """For many digit strings, the letter computed from the rule is the only one accepted."""
    for n in (0, 1, 22, 23, 750001, 754684, 931234, 9999999):
        digits = f"{n:07d}"
        good = UAI_LETTERS[int(digits) % 23]
        assert validate_uai(digits + good) is None
        for other in set(UAI_LETTERS) - {good}:
            assert validate_uai(digits + other) == "Le numéro UAI n'est pas valide (lettre de contrôle)."


def test_validate_uai_0754684():
    """0754684K is refused: 754684 mod 23 = 8, so its letter is J."""
    assert uai_letter("0754684") == "J"
    assert validate_uai("0754684J") is None
    assert validate_uai("0754684K") == "Le numéro UAI n'est pas valide (lettre de contrôle)."


def test_validate_uai_lowercase_and_normalize():
    """Lower case and spaces are accepted; normalize_uai gives the stored upper-case form."""
    assert validate_uai("0750654d") is None
    assert validate_uai(" 0750654 d ") is None
    assert normalize_uai(" 0750654d ") == "0750654D"


@pytest.mark.parametrize("value", ["075065D", "07506540D", "0750654", "075065AD", "0750654I",
                                   "0750654O", "0750654Q", "0750654-", "D0750654"])
def test_validate_uai_wrong_shape(value):
    """Wrong length, letters among the digits or a letter outside the 23 give the format message."""
    assert validate_uai(value) == "Le numéro UAI doit comporter 8 caractères : 7 chiffres suivis d'une lettre."


def test_validate_uai_blank():
    """A blank UAI is reported as required (callers skip it when optional)."""
    assert validate_uai(None) == "Le numéro UAI est obligatoire."


# ---------------------------------------------------------------- départements

@pytest.mark.parametrize("cp, dep", [
    ("75001", "75"), ("75116", "75"), ("77420", "77"), ("77120", "77"), ("95880", "95"),
    ("93400", "93"), ("01000", "01"), ("69001", "69"), (" 92100 ", "92"),
    ("20000", "2A"), ("20090", "2A"), ("20199", "2A"), ("20200", "2B"), ("20600", "2B"),
    ("97400", "974"), ("97133", "971"), ("97600", "976"), ("97500", "975"), ("98800", "988"),
])
def test_departement_of(cp, dep):
    """Mainland, Corsica (2A below 20200, else 2B) and overseas (3 digits) codes."""
    assert departement_of(cp) == dep


@pytest.mark.parametrize("cp", ["7500", "750011", "7500A", "", None, 75001, "00100", "96000",
                                "99000", "98000", "97700", "\u0667\u0665\u0660\u0660\u0661"])
def test_departement_of_invalid(cp):
    """Wrong shapes, non-strings, non-existent départements and Monaco give None."""
    assert departement_of(cp) is None


def test_idf_is_region_11():
    """Ile-de-France is region 11 of the INSEE's code (its 8 départements name it in messages)."""
    assert IDF_DEPARTEMENTS == ("75", "77", "78", "91", "92", "93", "94", "95")
    assert rules.IDF_REGION == "11" and is_idf_region("11")
    for region in ("24", "52", "84", "94", "1", "011", "", None, 11):
        assert not is_idf_region(region)


# ---------------------------------------------------------------- registration perimeter

@pytest.mark.parametrize("presentiel, foad, justif", [
    (True, False, False), (False, True, False), (False, False, False), (True, True, True),
])
def test_perimeter_idf_organisme_accepted(presentiel, foad, justif):
    """An organisme whose siège is in Ile-de-France is accepted whatever it offers."""
    assert check_registration_perimeter("11", presentiel, foad, justif) is None


def test_perimeter_foad_only_refused():
    """Outside IDF and FOAD only: refused with the perimeter answer and the Carif-Oref map."""
    msg = check_registration_perimeter("84", False, True, True)
    assert msg.startswith("Non, vous ne pouvez pas vous référencer sur DOKELIO Ile-de-France.")
    assert "périmètre régional, celui de l'Ile-de-France" in msg
    assert msg.endswith("Veuillez-vous rapprocher du Carif-Oref de votre région : " + CARIF_OREF_MAP_URL)
    assert CARIF_OREF_MAP_URL == "https://reseau.intercariforef.org/lassociation-intercariforef#toc-carte-des-carif-oref"


def test_perimeter_foad_only_wins_over_presentiel_flag():
    """Contradictory flags (FOAD only yet présentiel) are refused: FOAD only wins."""
    assert check_registration_perimeter("84", True, True, True) == rules.PERIMETER_REFUSAL


def test_perimeter_no_presentiel_in_idf_refused():
    """Outside IDF without présentiel training in IDF: pointed to its own Carif-Oref."""
    assert check_registration_perimeter("93", False, False, True) == rules.PERIMETER_REFUSAL


def test_perimeter_presentiel_needs_justification():
    """Outside IDF with présentiel in IDF but no justification: the justification is asked."""
    msg = check_registration_perimeter("24", True, False, False)
    assert ("un justificatif de type convention de formation précisant un lieu de formation "
            "en présentiel francilien") in msg
    assert "PDF" in msg and "moins de 1 Mo" in msg and "anonymisant" in msg


def test_perimeter_presentiel_with_justification_accepted():
    """Outside IDF with présentiel in IDF and its justification: accepted."""
    assert check_registration_perimeter("24", True, False, True) is None


@pytest.mark.parametrize("region", [None, "", "94", "04"])
def test_perimeter_unknown_or_far_siege_counts_outside(region):
    """A siège with no commune (abroad), in Corsica or overseas is outside IDF."""
    assert check_registration_perimeter(region, True, False, False) == rules.JUSTIFICATION_REQUIRED


def test_justificatif_limit_is_one_megabyte_si():
    """The limit is 10**6 bytes, strictly below: 999 999 passes, 1 000 000 does not."""
    assert JUSTIFICATIF_MAX_BYTES == 10**6
    assert validate_justificatif(b"%PDF-1.7\n", JUSTIFICATIF_MAX_BYTES - 1) is None
    assert validate_justificatif(b"%PDF-1.7\n", JUSTIFICATIF_MAX_BYTES) == "Le justificatif doit peser moins de 1 Mo (1 000 000 octets)."
    assert validate_justificatif(b"%PDF-1.4", 2**20 - 1) is not None


def test_justificatif_must_be_pdf_and_not_empty():
    """A non-PDF content or an empty file is refused."""
    assert validate_justificatif(b"PK\x03\x04", 1000) == "Le justificatif doit être au format PDF."
    assert validate_justificatif(b"", 0) == "Le justificatif est vide."


# ---------------------------------------------------------------- session place and dates

def _place(code_insee, departement, region):
    return SimpleNamespace(code_insee=code_insee, departement_code=departement, region_code=region)


MONTREUIL = _place("93048", "93", "11")
LYON = _place("69123", "69", "84")
PARAY = _place("91479", "91", "11")  # postal code 94390: its département is the commune's, not the code's
UNRESOLVED = _place(None, None, None)


@pytest.mark.parametrize("lieu", [None, LYON, UNRESOLVED])
def test_session_place_foad_needs_no_place(lieu):
    """A FOAD session needs no training place at all."""
    assert check_session_place("foad", lieu) is None


@pytest.mark.parametrize("modalite", ["presentiel", "mixte"])
def test_session_place_in_idf_accepted(modalite):
    """Présentiel and mixte sessions whose place's commune is in region 11 are accepted."""
    assert check_session_place(modalite, MONTREUIL) is None
    assert check_session_place(modalite, PARAY) is None


@pytest.mark.parametrize("modalite", ["presentiel", "mixte"])
def test_session_place_outside_idf_names_departement(modalite):
    """Outside Ile-de-France, the message names the commune's département and the rule."""
    msg = check_session_place(modalite, LYON)
    assert "département 69" in msg and "Ile-de-France" in msg and "75, 77, 78, 91, 92, 93, 94, 95" in msg
    assert "département 2A" in check_session_place(modalite, _place("2A004", "2A", "94"))


def test_session_place_decided_by_region_not_departement():
    """A commune whose département code looks Francilien but whose region is not (bad data) is out,
    and the region alone decides."""
    assert check_session_place("presentiel", _place("75056", "75", "84")) is not None
    assert check_session_place("presentiel", _place("44109", "44", "11")) is None


def test_session_place_missing():
    """Présentiel without a place is refused; mixte may have none (optional in LHEO)."""
    assert check_session_place("presentiel", None) == "Un lieu de formation est obligatoire pour une session en présentiel."
    assert check_session_place("mixte", None) is None


@pytest.mark.parametrize("modalite", ["presentiel", "mixte"])
def test_session_place_without_commune(modalite):
    """A place whose commune is unknown cannot be placed in the region: refused, pointing to the carnet."""
    assert check_session_place(modalite, UNRESOLVED) == rules.perimeter.PLACE_WITHOUT_COMMUNE
    assert "carnet d'adresses" in rules.perimeter.PLACE_WITHOUT_COMMUNE


@pytest.mark.parametrize("modalite", ["distance", "Presentiel", "", None])
def test_session_place_unknown_modalite(modalite):
    """Only the three codes presentiel, mixte, foad are known."""
    assert "présentiel, mixte ou à distance" in check_session_place(modalite, MONTREUIL)


def test_session_dates():
    """The end may equal the start but not precede it; both are required."""
    d = date(2018, 2, 28)
    assert check_session_dates(d, d) is None
    assert check_session_dates(d, date(2018, 12, 29)) is None
    assert check_session_dates(d, d - timedelta(days=1)) == (
        "La date de fin doit être postérieure ou égale à la date de début.")
    assert check_session_dates(None, d) is not None and check_session_dates(d, None) is not None


# ---------------------------------------------------------------- CPF

def test_is_cpf_dicts_and_objects():
    """Eligibility is read as a key of dicts or an attribute of objects."""
    assert is_cpf([{"eligible_cpf": False}, {"eligible_cpf": True}])
    assert is_cpf([SimpleNamespace(eligible_cpf=False), SimpleNamespace(eligible_cpf=True)])
    assert is_cpf([{"eligible_cpf": False}, SimpleNamespace(eligible_cpf=1)])


def test_is_cpf_false_cases():
    """No certification, none eligible, or no eligible_cpf field: not CPF."""
    assert not is_cpf([])
    assert not is_cpf(None)
    assert not is_cpf([{"eligible_cpf": False}, {"eligible_cpf": None}, {}, SimpleNamespace()])
    assert not is_cpf([SimpleNamespace(eligible_cpf=0)])


def test_is_cpf_accepts_generators():
    """Any iterable works, e.g. a generator over linked rows."""
    assert is_cpf(c for c in [{"eligible_cpf": True}])


# ---------------------------------------------------------------- doublon

def test_find_doublon_returns_first_sharing_action():
    """The first other action sharing a certification is returned, in the caller's order."""
    others = [("AF_0000000001", [7, 8]), ("AF_0000000002", [3]), ("AF_0000000003", [3, 4])]
    assert find_doublon([3, 9], others) == "AF_0000000002"
    assert find_doublon([4], iter(others)) == "AF_0000000003"


def test_find_doublon_none_cases():
    """No certification, no other action, or no shared certification: no doublon."""
    assert find_doublon([], [("AF_0000000001", [1])]) is None
    assert find_doublon([1], []) is None
    assert find_doublon([1, 2], [("AF_0000000001", [3]), ("AF_0000000002", [])]) is None
    assert find_doublon([None], [("AF_0000000001", [None])]) is None


# ---------------------------------------------------------------- certification title

@pytest.mark.parametrize("raw, normalized", [
    ("  CAP   Cuisine ", "cap cuisine"),
    ("Électricité – Bâtiment", "electricite batiment"),
    ("BTS : Management commercial opérationnel (MCO)", "bts management commercial operationnel mco"),
    ("Cœur de métier", "coeur de metier"),
    ("Agent d'accueil", "agent d accueil"),
    ("STRASSE", "strasse"),
    (None, ""),
    ("", ""),
])
def test_normalize_title(raw, normalized):
    """Case, accents, ligatures, punctuation and runs of spaces are normalised away."""
    assert normalize_title(raw) == normalized


def test_title_warning_none_when_equivalent():
    """Titles equal after normalisation raise no warning."""
    assert title_warning("cap  peinture en CARROSSERIE", "CAP peinture en carrosserie") is None
    assert title_warning("Électricien", "ELECTRICIEN") is None


def test_title_warning_message():
    """A different title gets the warning quoting the certification's exact title."""
    assert title_warning("Cuisine", "CAP  Cuisine") == (
        "L'intitulé de l'action devrait correspondre à l'intitulé exact de la certification : "
        "« CAP Cuisine ».")
    assert title_warning(None, "CAP Cuisine") is not None


def test_title_warning_without_certification_title():
    """Without a certification title there is nothing to compare."""
    assert title_warning("Cuisine", None) is None
    assert title_warning("Cuisine", "  ") is None


# ---------------------------------------------------------------- login identifiant

@pytest.mark.parametrize("prenom, nom, base", [
    ("François", "Durant", "fdurant"),
    ("Éloïse", "D'Artagnan", "edartagnan"),
    ("Jean-Pierre", "Le Goff", "jlegoff"),
    ("Zoë", "Œuvray-Müller", "zoeuvraymuller"),
    ("  anne ", " de  la Tour ", "adelatour"),
    ("Łukasz", "Øster", "loster"),
    ("Ève", "O’Connor", "eoconnor"),
])
def test_login_base(prenom, nom, base):
    """First letter + last name, lower case ASCII letters only."""
    assert login_base(prenom, nom) == base


@pytest.mark.parametrize("prenom, nom", [("", "Durant"), ("François", ""), (None, "Durant"),
                                         ("123", "Durant"), ("François", "-' "), ("李", "Durant")])
def test_login_base_refuses_empty(prenom, nom):
    """A first or last name without any usable letter raises ValueError."""
    with pytest.raises(ValueError):
        login_base(prenom, nom)


def test_make_login_first_is_1():
    """The first identifiant gets the digit 1 (fdurant1)."""
    assert make_login("Éloïse", "D'Artagnan", set()) == "edartagnan1"
    assert make_login("François", "Durant", set()) == "fdurant1"


def test_make_login_next_free_suffix():
    """The smallest free suffix is used, gaps included, then 10 after 9."""
    assert make_login("François", "Durant", {"fdurant1"}) == "fdurant2"
    assert make_login("François", "Durant", {"fdurant2"}) == "fdurant1"
    assert make_login("François", "Durant", {f"fdurant{i}" for i in range(1, 10)}) == "fdurant10"
    assert make_login("François", "Durant", {"fdurant", "fdurant1", "fdurant3"}) == "fdurant2"


def test_make_login_with_callable():
    """taken may be a predicate (e.g. a database look-up)."""
    asked = []

    def taken(login):
        asked.append(login)
        return login in {"fdurant1", "fdurant2"}

    assert make_login("Fabienne", "Durant", taken) == "fdurant3"
    assert asked == ["fdurant1", "fdurant2", "fdurant3"]


# ---------------------------------------------------------------- field locks

def test_contractual_fields():
    """The contractual fields are the session dates and durations."""
    assert CONTRACTUAL_FIELDS == ("date_debut", "date_fin", "duree_totale", "heures_centre", "heures_entreprise")


@pytest.mark.parametrize("text, expected", [
    (None, frozenset()),
    ("", frozenset()),
    ("date_debut,date_fin", frozenset({"date_debut", "date_fin"})),
    (" date_debut , DATE_FIN ,", frozenset({"date_debut", "date_fin"})),
    ("date_debut,intitule,,nimporte", frozenset({"date_debut"})),
    ("duree_totale,duree_totale", frozenset({"duree_totale"})),
    (",".join(CONTRACTUAL_FIELDS), frozenset(CONTRACTUAL_FIELDS)),
])
def test_parse_lock_policy(text, expected):
    """Comma-separated names, spaces and case tolerated, unknown names ignored."""
    assert parse_lock_policy(text) == expected


def test_locked_fields():
    """Only an OF on a conventionnée action is bound by the programme's policy."""
    policy = "date_debut,date_fin"
    assert locked_fields(True, policy, False) == frozenset({"date_debut", "date_fin"})
    assert locked_fields(True, policy, True) == frozenset()
    assert locked_fields(False, policy, False) == frozenset()
    assert locked_fields(True, None, False) == frozenset()


def test_locked_violations_messages():
    """Each really changed locked field gets its own message, in the fields' order."""
    locked = frozenset(CONTRACTUAL_FIELDS)
    changes = {
        "heures_centre": (Decimal("100.0"), Decimal("120.0")),
        "date_debut": (date(2024, 1, 8), date(2024, 1, 15)),
    }
    assert locked_violations(changes, locked) == [
        "La date de début est une donnée contractuelle : seule l'équipe du CARIF peut la modifier.",
        "Le nombre d'heures en centre est une donnée contractuelle : seule l'équipe du CARIF peut le modifier.",
    ]


def test_locked_violations_ignores_unchanged_and_unlocked():
    """Unchanged values, equal numbers, blank-to-blank and unlocked fields are not violations."""
    locked = frozenset({"date_debut", "duree_totale", "heures_entreprise"})
    changes = {
        "date_debut": (date(2024, 1, 8), date(2024, 1, 8)),
        "duree_totale": (35, Decimal("35.0")),
        "heures_entreprise": (None, ""),
        "date_fin": (date(2024, 6, 1), date(2024, 7, 1)),
        "intitule": ("a", "b"),
    }
    assert locked_violations(changes, locked) == []
    assert locked_violations(changes, frozenset()) == []


def test_locked_violations_setting_a_value():
    """Filling an empty locked field is a change too."""
    msgs = locked_violations({"date_fin": (None, date(2024, 7, 1))}, {"date_fin"})
    assert msgs == ["La date de fin est une donnée contractuelle : seule l'équipe du CARIF peut la modifier."]


# ---------------------------------------------------------------- robot dates

@pytest.mark.parametrize("end, archived", [
    (date(2023, 1, 31), date(2023, 2, 28)),
    (date(2024, 1, 31), date(2024, 2, 29)),
    (date(2024, 1, 29), date(2024, 2, 29)),
    (date(2024, 2, 29), date(2024, 3, 29)),
    (date(2023, 3, 31), date(2023, 4, 30)),
    (date(2023, 4, 30), date(2023, 5, 30)),
    (date(2023, 12, 31), date(2024, 1, 31)),
    (date(2016, 4, 16), date(2016, 5, 16)),
])
def test_archiving_date(end, archived):
    """One calendar month after the last end, clipped to the month's last day."""
    assert archiving_date(end) == archived


def test_reminder_date():
    """The reminder is 10 days before archiving, across month ends."""
    assert reminder_date(date(2023, 1, 31)) == date(2023, 2, 18)
    assert reminder_date(date(2024, 1, 31)) == date(2024, 2, 19)
    assert reminder_date(date(2023, 6, 5)) == date(2023, 6, 25)
    assert reminder_date(date(2023, 12, 5)) == date(2023, 12, 26)


def test_inactivation_date():
    """Inactivation comes 120 days after the demande de complétude."""
    assert INACTIVATION_DAYS == 120
    assert inactivation_date(date(2024, 1, 1)) == date(2024, 4, 30)
    assert inactivation_date(date(2023, 1, 1)) == date(2023, 5, 1)
    assert inactivation_date(date(2023, 11, 15)) == date(2024, 3, 14)


@pytest.mark.parametrize("day, latest", [
    (date(2023, 2, 28), date(2023, 1, 31)),
    (date(2023, 2, 27), date(2023, 1, 27)),
    (date(2024, 2, 28), date(2024, 1, 28)),
    (date(2024, 2, 29), date(2024, 1, 31)),
    (date(2023, 3, 1), date(2023, 2, 1)),
    (date(2023, 3, 31), date(2023, 2, 28)),
    (date(2023, 4, 30), date(2023, 3, 31)),
])
def test_latest_end_archived_by_boundaries(day, latest):
    """Month ends and leap days: several ends can share one archiving day."""
    assert latest_end_archived_by(day) == latest


def _days(first, last):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def test_archiving_date_is_non_decreasing():
    """archiving_date never goes backwards, which makes a '<=' SQL filter exact."""
    ends = list(_days(date(2022, 10, 1), date(2026, 3, 31)))
    arch = [archiving_date(e) for e in ends]
    assert all(a <= b for a, b in zip(arch, arch[1:], strict=False))


@pytest.mark.parametrize("job, latest", [
    (archiving_date, latest_end_archived_by),
    (reminder_date, latest_end_reminded_by),
])
def test_latest_end_matches_brute_force_over_three_years(job, latest):
    """For every day of 2023-2025, 'last end <= latest(day)' selects exactly the due actions."""
    ends = list(_days(date(2022, 9, 1), date(2026, 3, 31)))
    due_on = {e: job(e) for e in ends}
    for day in _days(date(2023, 1, 1), date(2025, 12, 31)):
        window = list(_days(day - timedelta(days=80), day + timedelta(days=40)))
        # every end before the window is due, every end after it is not
        assert due_on[window[0] - timedelta(days=1)] <= day < due_on[window[-1] + timedelta(days=1)]
        brute = max(e for e in window if due_on[e] <= day)
        result = latest(day)
        assert result == brute, day
        assert all((due_on[e] <= day) == (e <= result) for e in window), day


# ---------------------------------------------------------------- mandatory fields

FULL_ACTION = {
    "type": "action", "modulaire": False, "module_autonome": False, "conventionnee": False,
    "intitule": "CAP Cuisine", "objectif": "Obtenir le CAP", "contenu": "Techniques culinaires",
    "resultats_attendus": "Diplôme", "niveau_sortie_code": "3",
}


def test_action_mandatory_labels():
    """The fields marked (*) on the fiche are all required, with their labels."""
    expected = {"intitule": "Intitulé", "objectif": "Objectif", "contenu": "Contenu",
                "resultats_attendus": "Résultats attendus", "niveau_sortie_code": "Niveau de sortie",
                "type": "Action ou module"}
    assert expected.items() <= ACTION_MANDATORY.items()
    assert ACCOMPAGNEMENT_MANDATORY["type_accompagnement"] == "Type d'accompagnement"
    assert "type_accompagnement" not in ACTION_MANDATORY


def test_missing_fields_none_missing():
    """A complete action misses nothing; False booleans are answers, not blanks."""
    assert missing_fields(FULL_ACTION) == ()


def test_missing_fields_all_missing_in_order():
    """An empty mapping misses every label, in ACTION_MANDATORY's order."""
    assert missing_fields({}) == tuple(ACTION_MANDATORY.values())


def test_missing_fields_blank_values():
    """None, blank strings and empty collections count as missing; 0 does not."""
    values = dict(FULL_ACTION, objectif="   ", contenu=None, niveau_sortie_code="", type=0)
    assert missing_fields(values) == ("Objectif", "Contenu", "Niveau de sortie")
    assert missing_fields({"domaines": []}, {"domaines": "Domaines"}) == ("Domaines",)
    assert missing_fields({"domaines": ["31795"]}, {"domaines": "Domaines"}) == ()


def test_missing_fields_custom_mapping():
    """Another mapping (sessions, accompagnements) can be passed."""
    session = {"date_debut": date(2024, 1, 8), "date_fin": None, "duree_totale": Decimal("35"),
               "modalite_code": "presentiel", "dispositif_id": None}
    assert missing_fields(session, SESSION_MANDATORY) == ("Date de fin", "Dispositif")
    assert missing_fields(dict(FULL_ACTION, type="accompagnement"),
                          ACCOMPAGNEMENT_MANDATORY) == ("Type d'accompagnement",)
