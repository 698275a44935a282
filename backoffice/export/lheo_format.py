"""What the LHEO export and import share: namespaces, the schema, defaults, text and date rules.

LHEO 2.3 (http://lheo.gouv.fr/2.3) is what we write. LHEO 2.2 (http://www.lheo.org/2.2) is also
read: the 2.3 definition only adds elements and relaxes cardinalities (compared element by element
in lheo-gml.xml of both versions), so a 2.2 document whose namespace is renamed is checked
against the 2.3 schema.

The export writes no placeholder: an unknown value is left out, and an offer missing a value LHEO
requires is left out of the feed (lheo.gaps). The import reads the usual fillers of other feeds
("Non renseigné", the Intercarif "-", SIRET 00000000000000) as "not filled".
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from lxml import etree

# partial dates are a rule of the offer's content (rules/dates.py); the export and the import
# read and write them through these names
from ..rules.dates import (  # noqa: F401
    DAY,
    MONTH,
    PRECISIONS,
    YEAR,
    PartialDate,
    french_partial,
    lheo_partial,
    parse_french_partial,
    parse_partial_date,
)

NS = "http://lheo.gouv.fr/2.3"
NS_22 = "http://www.lheo.org/2.2"
XSD_PATH = Path(__file__).resolve().parent / "xsd" / "lheo.xsd"

# cercle 3 extension block carrying the back-office fields LHEO has no element for
EXTRAS_INFO = "dokelio"

NON_RENSEIGNE = "Non renseigné"
AUCUNE = "Aucune"  # LHEO: "s'il n'y a pas de conditions spécifiques, préciser 'aucune'"
SANS_LIGNE = "-"  # an address line is mandatory in LHEO; Intercarif writes "-"
SIRET_INCONNU = "00000000000000"
NDA_INCONNU = "00000000000"
# values that mean "nothing" when read back: the usual fillers of other feeds
FILLERS = frozenset({NON_RENSEIGNE, SANS_LIGNE, "--", "."})
UNKNOWN_IDS = frozenset({SIRET_INCONNU, NDA_INCONNU, "99999999999", "99999999999999"})

# dict-type-cycle / dict-type-alternance
TYPE_CYCLE_APPRENTISSAGE = "1"
TYPE_ALTERNANCE_APPRENTISSAGE = "1"
TYPE_ALTERNANCE_PROFESSIONNALISATION = "2"
APPRENTISSAGE_CODE = "APPRENTISSAGE"
PROFESSIONNALISATION_CODE = "PROFESSIONNALISATION"
PARCOURS_GROUPE = "1"  # dict-type-parcours: en groupe

# Maximum lengths (xs:maxLength of lheo.xsd) of the free-text elements we write.
LIMITS = {
    "intitule-formation": 255, "objectif-formation": 3000, "resultats-attendus": 3000,
    "contenu-formation": 3000, "rythme-formation": 3000, "modalites-alternance": 3000,
    "conditions-specifiques": 3000, "info-public-vise": 250, "nom-organisme": 250,
    "raison-sociale": 250, "ligne": 50, "denomination": 255, "nom": 50, "prenom": 50,
    "civilite": 50, "ville": 50, "courriel": 160, "urlweb": 400, "numtel": 25,
    "extra": 3000, "acces-handicapes": 250, "modalites-recrutement": 3000, "modalites-pedagogiques": 200,
    "frais-restants": 200, "detail-conditions-prise-en-charge": 600, "modalites-inscription": 255,
    "libelle-bloc": 500, "raison-sociale-formateur": 250,
}

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_LHEO_DATE = re.compile(r"[0-9]{4}[019][0-9][01239][0-9]")


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The LHEO 2.3 schema, compiled once per process."""
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def q(tag: str) -> str:
    """Clark name of an LHEO 2.3 element."""
    return f"{{{NS}}}{tag}"


def clean(value, limit: int | None = None) -> str | None:
    """User text made safe for XML: no control characters, trimmed, cut to `limit` (…), None if blank."""
    if value is None:
        return None
    text = _ILLEGAL.sub("", str(value)).strip()
    if not text:
        return None
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def lheo_date(value) -> str | None:
    """date, datetime or ISO text -> 'YYYYMMDD'."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if len(value) >= 10 and value[4] == "-" and value[7] == "-":  # ISO text: no parsing needed
            return value[:4] + value[5:7] + value[8:10]
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%Y%m%d")


def parse_lheo_date(text: str | None) -> date | None:
    """'YYYYMMDD' -> date; unknown (00000000, 99999999), month-only or year-only dates -> None."""
    if not text or not _LHEO_DATE.fullmatch(text.strip()):
        return None
    try:
        return datetime.strptime(text.strip(), "%Y%m%d").date()
    except ValueError:
        return None


def decimal_or_none(value) -> Decimal | None:
    """A stored number (Decimal, float, int or text) as Decimal, None if absent or invalid."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def hours_text(value) -> str | None:
    """Hours for xs:long elements: rounded to the nearest whole hour."""
    number = decimal_or_none(value)
    if number is None:
        return None
    return str(int(number.quantize(Decimal("1"), rounding="ROUND_HALF_UP")))


def decimal_text(value) -> str | None:
    """Exact hours as text without a useless '.0' (350.0 -> '350', 35.5 -> '35.5')."""
    number = decimal_or_none(value)
    if number is None:
        return None
    return format(number.normalize(), "f")


def is_whole(value) -> bool:
    number = decimal_or_none(value)
    return number is None or number == number.to_integral_value()


def flag(value) -> str:
    """Boolean -> LHEO dict-boolean code."""
    return "1" if value else "0"


def rncp_code(code: str | None) -> str | None:
    """A certification's RNCP code as LHEO accepts it (digits, or RNCP + digits, ≤ 10 chars)."""
    code = (code or "").strip().upper()
    return code if re.fullmatch(r"(RNCP)?[0-9]{1,6}", code) else None


def rs_code(code: str | None) -> str | None:
    """RS code as LHEO wants it: RS + digits, 3 to 10 characters."""
    code = (code or "").strip().upper()
    if re.fullmatch(r"[0-9]{1,8}", code):
        code = "RS" + code
    return code if re.fullmatch(r"RS[0-9]{1,8}", code) else None


def pays_code(pays: str | None) -> str | None:
    """The back-office stores a country name; LHEO wants a 2-letter code. Only France is mapped."""
    name = (pays or "").strip().upper()
    if name in ("FRANCE", "FR", "FRA"):
        return "FR"
    return None
