"""Reading and checking Formacode / certification CSV files (backoffice.referential_import.parsing)."""
import ast
import re
from pathlib import Path

import pytest

from backoffice.referential_import import parsing
from backoffice.referential_import.parsing import (
    CERTIFICATION_COLUMNS,
    FORMACODE_COLUMNS,
    FileError,
    Rejected,
    certification_row,
    formacode_row,
    normalise_header,
    read_lines,
)
from backoffice.referential_import.report import ImportReport

NIVEAUX = {"0", "3", "4", "13", "14", "15", "16", "17"}
LIMITS = {"intitule": 300, "sigle": 40, "libelle": 200}


def read(text: str, columns=FORMACODE_COLUMNS, encoding="utf-8"):
    fields, ignored, lines = read_lines(text.encode(encoding), columns)
    return fields, ignored, list(lines)


def cert(**values) -> dict:
    return certification_row({"intitule": "CAP Cuisine", **values}, NIVEAUX, LIMITS)


def reason(call, *args, **kwargs) -> str:
    with pytest.raises(Rejected) as exc:
        call(*args, **kwargs)
    return str(exc.value)


def test_module_is_pure_python():
    tree = ast.parse(Path(parsing.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in ("flask", "sqlalchemy", "backoffice")}


# ---------------------------------------------------------------- reading

@pytest.mark.parametrize("text", [
    "code;libelle\n15234;Anglais\n",
    "code,libelle\n15234,Anglais\n",
    "\ufeffcode;libelle\r\n15234;Anglais\r\n",  # Excel's CSV UTF-8: BOM and CRLF
    "# a comment line\n#another\n\ncode,libelle\n15234,Anglais\n",  # the seeds/data header comments
])
def test_separator_bom_and_comments(text):
    fields, _, lines = read(text)
    assert fields == ["code", "libelle"]
    assert [(line.number, line.values) for line in lines] == [(text.count("\n") , {"code": "15234",
                                                                                    "libelle": "Anglais"})]


def test_separator_is_the_one_the_header_holds_more_of():
    # a label with commas in a ;-separated file stays one value
    _, _, lines = read("code;libelle\n15234;Anglais, langue des affaires\n")
    assert lines[0].values["libelle"] == "Anglais, langue des affaires"


@pytest.mark.parametrize("header, expected", [
    ("Code;Libellé", ["code", "libelle"]),
    ("FORMACODE;Descripteur", ["code", "libelle"]),
    (" code formacode ; LIBELLÉ DESCRIPTEUR ", ["code", "libelle"]),
])
def test_headers_match_without_case_accents_or_spaces(header, expected):
    assert read(f"{header}\n15234;Anglais\n")[0] == expected


def test_certification_aliases_of_france_competences():
    header = "Numero_Fiche;Intitule;Abrege_Libelle;Nomenclature_Europe_Niveau;Actif;Date_Fin_Enregistrement"
    fields, ignored, lines = read(f"{header}\nRNCP34930;CAP Peinture;CAP;NIV3;ACTIF;2027-08-31\n",
                                  CERTIFICATION_COLUMNS)
    assert fields == ["code", "intitule", "sigle", "niveau_code", "etat"]
    assert ignored == ["Date_Fin_Enregistrement"]
    assert certification_row(lines[0].values, NIVEAUX, LIMITS) == {
        "code_rncp": "RNCP34930", "intitule": "CAP Peinture", "sigle": "CAP", "niveau_code": "13", "etat": "active"}


def test_normalise_header():
    assert normalise_header("  Numéro de fiche ") == "numero_de_fiche"
    assert normalise_header("Éligible CPF") == "eligible_cpf"


def test_line_numbers_count_comments_blank_lines_and_multiline_values():
    text = '# comment\ncode;libelle\n15234;Anglais\n\n21056;"Élevage\nsur deux lignes"\n;;\n21058;Aviculture\n'
    _, _, lines = read(text)
    assert [line.number for line in lines] == [3, 5, 8]


def test_a_row_with_the_wrong_number_of_values_is_flagged():
    _, _, lines = read("code,libelle\n15234,Anglais, langue\n")
    assert lines[0].number == 2 and "3 valeurs pour 2 colonnes" in lines[0].error


@pytest.mark.parametrize("data, message", [
    (b"", "vide"),
    (b"# only comments\n\n", "vide"),
    ("code;libelle\n15234;Élevage\n".encode("cp1252"), "UTF-8 (ligne 2)"),
    (b"code;formacode;libelle\n", "toutes deux"),
])
def test_unusable_files(data, message):
    with pytest.raises(FileError, match=re.escape(message)):
        read_lines(data, FORMACODE_COLUMNS)


# ---------------------------------------------------------------- Formacode rows

def test_formacode_row():
    assert formacode_row({"code": " 15234 ", "libelle": "Anglais"}, LIMITS) == {"code": "15234", "libelle": "Anglais"}


@pytest.mark.parametrize("values, message", [
    ({"code": "", "libelle": "Anglais"}, "code Formacode manquant"),
    ({"code": "1523", "libelle": "Anglais"}, "« 1523 » mal formé (5 chiffres"),
    ({"code": "15A34", "libelle": "Anglais"}, "mal formé"),
    ({"code": "152345", "libelle": "Anglais"}, "mal formé"),
    ({"code": "15234", "libelle": ""}, "libellé manquant"),
    ({"code": "15234", "libelle": "x" * 201}, "libellé trop long (201 caractères, 200 au plus)"),
])
def test_formacode_rejections(values, message):
    assert message in reason(formacode_row, values, LIMITS)


# ---------------------------------------------------------------- certification rows

@pytest.mark.parametrize("values, codes", [
    ({"code_rncp": "RNCP34930"}, {"code_rncp": "RNCP34930"}),
    ({"code_rncp": "34930"}, {"code_rncp": "RNCP34930"}),  # digits in the RNCP column
    ({"code_rncp": "rncp 34930"}, {"code_rncp": "RNCP34930"}),
    ({"code_rs": "RS5080"}, {"code_rs": "RS5080"}),
    ({"code": "RS5080"}, {"code_rs": "RS5080"}),
    ({"code": "RNCP34930", "code_rs": "RS5080"}, {"code_rncp": "RNCP34930", "code_rs": "RS5080"}),
])
def test_certification_codes(values, codes):
    assert parsing.certification_codes(values) == codes


@pytest.mark.parametrize("values, message", [
    ({"code_rncp": "", "code_rs": ""}, "code RNCP ou RS manquant"),
    ({"code_rncp": "RS5080"}, "« RS5080 » mal formé (RNCP suivi de 1 à 6 chiffres"),
    ({"code_rncp": "RNCP1234567"}, "mal formé"),
    ({"code_rs": "RNCP34930"}, "mal formé (RS suivi"),
    ({"code": "34930"}, "mal formé"),  # digits alone are ambiguous in the shared column
    ({"code": "RNCP1", "code_rncp": "RNCP2"}, "deux codes RNCP différents"),
])
def test_certification_code_rejections(values, message):
    assert message in reason(parsing.certification_codes, values)


def test_certification_row_converts_only_the_columns_present():
    assert cert(code_rncp="RNCP1") == {"code_rncp": "RNCP1", "intitule": "CAP Cuisine"}
    assert cert(code_rs="RS1", sigle="", niveau_code="", eligible_cpf="Oui", premiere_session="2019",
                derniere_session="", certifinfo="12345", etat="INACTIF") == {
        "code_rs": "RS1", "intitule": "CAP Cuisine", "sigle": None, "niveau_code": None, "eligible_cpf": True,
        "premiere_session": 2019, "derniere_session": None, "certifinfo": 12345, "etat": "inactive"}


@pytest.mark.parametrize("level, code", [("13", "13"), ("3", "3"), ("NIV3", "13"), ("niv 5", "15"),
                                         ("Niveau 7", "17")])
def test_niveau_is_a_lheo_code_or_a_european_level(level, code):
    assert cert(code_rncp="RNCP1", niveau_code=level)["niveau_code"] == code


@pytest.mark.parametrize("values, message", [
    ({"intitule": ""}, "intitulé manquant"),
    ({"intitule": "x" * 301}, "intitulé trop long (301 caractères, 300 au plus)"),
    ({"sigle": "x" * 41}, "sigle trop long"),
    ({"niveau_code": "99"}, "niveau « 99 » inconnu"),
    ({"niveau_code": "NIV9"}, "niveau « NIV9 » inconnu"),
    ({"eligible_cpf": "peut-être"}, "éligible CPF : « peut-être » n'est pas une réponse oui/non"),
    ({"premiere_session": "19"}, "première session : « 19 » n'est pas une année"),
    ({"derniere_session": "2020-01-01"}, "dernière session"),
    ({"etat": "suspendue"}, "état « suspendue » inconnu"),
    ({"certifinfo": "12a"}, "numéro Certif Info « 12a » mal formé"),
])
def test_certification_rejections(values, message):
    assert message in reason(certification_row, {"code_rncp": "RNCP1", "intitule": "CAP", **values},
                             NIVEAUX, LIMITS)


# ---------------------------------------------------------------- report

def test_report_lists_the_first_fifty_rejections_in_french():
    report = ImportReport("Formacode", strict=True, lines=60)
    for number in range(2, 62):
        report.reject(number, "code Formacode manquant")
    summary = report.summary()
    assert "  rejetées : 60" in summary and "Lignes rejetées (50 premières) :" in summary
    assert "  ligne 51 : code Formacode manquant" in summary and "  ligne 52 : code Formacode manquant" not in summary
    assert summary[-2:] == ["  ... et 10 autre(s)", "Mode strict : des lignes sont rejetées, rien n'a été enregistré."]
