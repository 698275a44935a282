"""Reading and checking the official referential files (Formacode, ROME, RNCP/RS certifications).

Pure Python: no Flask, no SQLAlchemy. It turns the bytes of a CSV file into
numbered rows of clean values, or a French reason why a row is rejected; the
database side (loading.py) decides what to create or update.

Files come from spreadsheets and open-data portals, so the reader is lenient
about the form (BOM, `;` or `,`, header case and accents, a few column
aliases) and strict about the content (code formats, niveaux, lengths).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass


class FileError(ValueError):
    """The whole file is unusable (encoding, header...): nothing is imported."""


class Rejected(ValueError):
    """One row is unusable; its message is the French reason shown to the user."""


@dataclass(frozen=True)
class Line:
    number: int  # line of the file where the row starts (1 = first line, comments included)
    values: dict[str, str]  # field -> stripped text, only for the columns the file has
    error: str | None = None  # the row could not even be split into its columns


# Field -> accepted header names, compared after normalise_header(). The first is the documented name.
FORMACODE_COLUMNS = {
    "code": ("code", "formacode", "code_formacode", "code_descripteur"),
    "libelle": ("libelle", "intitule", "descripteur", "libelle_formacode", "libelle_descripteur"),
}
ROME_COLUMNS = {  # France Travail's ROME files name them code_rome / libelle_rome
    "code": ("code", "code_rome", "rome", "code_fiche_rome"),
    "libelle": ("libelle", "libelle_rome", "intitule", "intitule_rome"),
}
CERTIFICATION_COLUMNS = {
    "code": ("code", "code_certification", "numero_fiche"),  # RNCP… or RS… in one column (France compétences)
    "code_rncp": ("code_rncp", "rncp", "numero_rncp"),
    "code_rs": ("code_rs", "rs", "numero_rs"),
    "certifinfo": ("certifinfo", "code_certifinfo", "numero_certifinfo"),
    "intitule": ("intitule", "libelle", "intitule_certification"),
    "sigle": ("sigle", "abrege_libelle"),
    "niveau_code": ("niveau_code", "niveau", "nomenclature_europe_niveau"),
    "eligible_cpf": ("eligible_cpf", "cpf", "eligibilite_cpf"),
    "premiere_session": ("premiere_session",),
    "derniere_session": ("derniere_session",),
    "etat": ("etat", "actif", "statut"),
}


def normalise_header(name: str) -> str:
    """'Libellé ' -> 'libelle', 'Code RNCP' -> 'code_rncp', 'Numéro_Fiche' -> 'numero_fiche'."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise FileError(f"Le fichier n'est pas encodé en UTF-8 (ligne {line}) : "
                        "enregistrez-le au format « CSV UTF-8 ».") from None


def detect_separator(header_line: str) -> str:
    """`;` (French spreadsheets) or `,`: whichever the header line holds more of."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _map_header(header: list[str], columns: dict[str, tuple[str, ...]]) -> list[str | None]:
    """The field of each header cell (None: column ignored); two cells for one field is an error."""
    alias_to_field = {alias: field for field, aliases in columns.items() for alias in aliases}
    fields: list[str | None] = []
    seen: dict[str, str] = {}
    for cell in header:
        field = alias_to_field.get(normalise_header(cell))
        if field in seen:
            raise FileError(f"Les colonnes « {seen[field]} » et « {cell.strip()} » désignent toutes deux "
                            f"le champ {field} : gardez-en une seule.")
        if field:
            seen[field] = cell.strip()
        fields.append(field)
    return fields


def read_lines(data: bytes, columns: dict[str, tuple[str, ...]]) -> tuple[list[str], list[str], Iterator[Line]]:
    """(fields found in the header, header cells ignored, the data rows).

    Leading "# ..." lines (the comments of seeds/data/*.csv) and blank lines are skipped, so
    the seed files themselves can be imported.
    """
    lines = _decode(data).splitlines(keepends=True)
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        start += 1
    if start == len(lines):
        raise FileError("Le fichier est vide : une ligne d'en-tête puis une ligne par code sont attendues.")
    separator = detect_separator(lines[start])
    reader = csv.reader(io.StringIO("".join(lines[start:])), delimiter=separator)
    header = next(reader)
    fields = _map_header(header, columns)
    ignored = [cell.strip() for cell, field in zip(header, fields, strict=True) if not field]
    return [f for f in fields if f], ignored, _rows(reader, fields, start)


def _rows(reader, fields: list[str | None], offset: int) -> Iterator[Line]:
    while True:
        number = offset + reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileError(f"Ligne {number} : fichier CSV mal formé ({exc}).") from None
        if not any(cell.strip() for cell in cells):
            continue  # blank line, or a spreadsheet's ";;;;"
        if len(cells) != len(fields):
            yield Line(number, {}, f"{len(cells)} valeurs pour {len(fields)} colonnes (un séparateur dans "
                                   "un libellé non entouré de guillemets ?)")
            continue
        yield Line(number, {field: cell.strip() for field, cell in zip(fields, cells, strict=True) if field})


# ------------------------------------------------------------------ values

_FORMACODE = re.compile(r"\d{5}")
_ROME = re.compile(r"[A-N]\d{4}")
_PREFIXED = re.compile(r"(RNCP|RS)(\d{1,6})")
_EUROPEAN_LEVEL = re.compile(r"NIV(?:EAU)?([1-8])")
_TRUE = frozenset({"oui", "o", "true", "vrai", "1", "yes", "y", "x"})
_FALSE = frozenset({"non", "n", "false", "faux", "0", "no", ""})
_ACTIVE = frozenset({"active", "actif", "actifs", ""})
_INACTIVE = frozenset({"inactive", "inactif", "inactifs"})


def formacode_code(text: str) -> str:
    code = text.replace(" ", "")
    if not code:
        raise Rejected("code Formacode manquant")
    if not _FORMACODE.fullmatch(code):
        raise Rejected(f"code Formacode « {text} » mal formé (5 chiffres attendus, par exemple 31854)")
    return code


def rome_code(text: str) -> str:
    code = text.replace(" ", "").upper()
    if not code:
        raise Rejected("code ROME manquant")
    if not _ROME.fullmatch(code):
        raise Rejected(f"code ROME « {text} » mal formé (une lettre de A à N et 4 chiffres, par exemple D1102)")
    return code


def certification_code(text: str, expected: str | None = None) -> tuple[str, str]:
    """('RNCP', 'RNCP34930') from 'RNCP34930', 'rncp 34930', or '34930' when `expected` says RNCP."""
    code = text.replace(" ", "").upper()
    if expected and code.isdigit():
        code = expected + code
    match = _PREFIXED.fullmatch(code)
    if not match or (expected and match.group(1) != expected):
        example = {"RNCP": "RNCP suivi de 1 à 6 chiffres, par exemple RNCP34930",
                   "RS": "RS suivi de 1 à 6 chiffres, par exemple RS5080"}
        wanted = example[expected] if expected else f"{example['RNCP']}, ou {example['RS']}"
        raise Rejected(f"code « {text} » mal formé ({wanted})")
    return match.group(1), code


def niveau_code(text: str, known: set[str]) -> str | None:
    """A LHEO niveau code of the niveau table, or a European level (NIV3 -> 13); blank: None."""
    if not text:
        return None
    if text in known:
        return text
    level = _EUROPEAN_LEVEL.fullmatch(normalise_header(text).replace("_", "").upper())
    if level and str(10 + int(level.group(1))) in known:
        return str(10 + int(level.group(1)))
    raise Rejected(f"niveau « {text} » inconnu (un code de la table des niveaux LHEO, ou NIV3 à NIV8)")


def yes_no(text: str, label: str) -> bool:
    value = text.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise Rejected(f"{label} : « {text} » n'est pas une réponse oui/non")


def year(text: str, label: str) -> int | None:
    if not text:
        return None
    if not (text.isdigit() and 1900 <= int(text) <= 2100):
        raise Rejected(f"{label} : « {text} » n'est pas une année (1900 à 2100)")
    return int(text)


def etat(text: str) -> str:
    """The schema's two states; France compétences writes ACTIF / INACTIF. Blank: active."""
    value = text.lower()
    if value in _ACTIVE:
        return "active"
    if value in _INACTIVE:
        return "inactive"
    raise Rejected(f"état « {text} » inconnu (active ou inactive attendu)")


def certifinfo(text: str) -> int | None:
    if not text:
        return None
    if not (text.isdigit() and 0 < int(text) <= 2_000_000_000):
        raise Rejected(f"numéro Certif Info « {text} » mal formé (un nombre entier positif attendu)")
    return int(text)


def check_length(value: str | None, max_length: int, label: str) -> str | None:
    if value and len(value) > max_length:
        raise Rejected(f"{label} trop long ({len(value)} caractères, {max_length} au plus)")
    return value or None


# ------------------------------------------------------------------ rows

def formacode_row(values: dict[str, str], max_lengths: dict[str, int]) -> dict:
    """{'code', 'libelle'} of a Formacode row, or Rejected."""
    code = formacode_code(values.get("code", ""))
    libelle = values.get("libelle", "")
    if not libelle:
        raise Rejected(f"libellé manquant pour le code {code}")
    return {"code": code, "libelle": check_length(libelle, max_lengths["libelle"], "libellé")}


def rome_row(values: dict[str, str], max_lengths: dict[str, int]) -> dict:
    """{'code', 'libelle'} of a ROME row, or Rejected."""
    code = rome_code(values.get("code", ""))
    libelle = values.get("libelle", "")
    if not libelle:
        raise Rejected(f"libellé manquant pour le code {code}")
    return {"code": code, "libelle": check_length(libelle, max_lengths["libelle"], "libellé")}


def certification_codes(values: dict[str, str]) -> dict[str, str]:
    """{'code_rncp': ..., 'code_rs': ...} (one or both) from the code columns, or Rejected."""
    codes: dict[str, str] = {}
    for field, expected in (("code_rncp", "RNCP"), ("code_rs", "RS"), ("code", None)):
        if not values.get(field):
            continue
        kind, code = certification_code(values[field], expected)
        target = "code_rncp" if kind == "RNCP" else "code_rs"
        if codes.get(target, code) != code:
            raise Rejected(f"deux codes {kind} différents sur la même ligne : {codes[target]} et {code}")
        codes[target] = code
    if not codes:
        raise Rejected("code RNCP ou RS manquant")
    return codes


def certification_row(values: dict[str, str], known_niveaux: set[str], max_lengths: dict[str, int]) -> dict:
    """The certification columns present in the file, converted, or Rejected.

    Columns absent from the file are absent from the result, so an import never blanks a
    field the file does not carry.
    """
    row: dict = certification_codes(values)
    intitule = values.get("intitule", "")
    if not intitule:
        raise Rejected("intitulé manquant")
    row["intitule"] = check_length(intitule, max_lengths["intitule"], "intitulé")
    converters = {
        "sigle": lambda v: check_length(v, max_lengths["sigle"], "sigle"),
        "certifinfo": certifinfo,
        "niveau_code": lambda v: niveau_code(v, known_niveaux),
        "eligible_cpf": lambda v: yes_no(v, "éligible CPF"),
        "premiere_session": lambda v: year(v, "première session"),
        "derniere_session": lambda v: year(v, "dernière session"),
        "etat": etat,
    }
    for field, convert in converters.items():
        if field in values:
            row[field] = convert(values[field])
    return row


def key_of(row: dict) -> str:
    """A certification's identity in the file and in the table: its RNCP code, else its RS code."""
    return row.get("code_rncp") or row["code_rs"]
