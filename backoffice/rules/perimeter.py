"""The perimeter of the regional base: Ile-de-France, the justificatif, places and dates of
sessions.

A place or a seat is in Ile-de-France when its commune is: the commune's region code (INSEE,
'11'), from the commune referential (backoffice/rules/communes.py picks the commune of a postal
code and a town name). Never the postal code's first digits: 94390 is Paray-Vieille-Poste, in
the Essonne, and CEDEX codes follow no département at all."""
from __future__ import annotations

from datetime import date
from typing import Protocol

from .validation import date_in_range

IDF_REGION = "11"
IDF_DEPARTEMENTS = ("75", "77", "78", "91", "92", "93", "94", "95")
_OVERSEAS = frozenset("971 972 973 974 975 976 984 986 987 988".split())
CARIF_OREF_MAP_URL = "https://reseau.intercariforef.org/lassociation-intercariforef#toc-carte-des-carif-oref"
# The form asks for a PDF "de moins de 1 Mo" (auth/forms.py). Mo read as the SI mégaoctet, 10**6
# bytes (not 2**20), "moins de" as strictly less: the stricter reading, so no
# accepted file can be too big under either reading of "1 Mo".
JUSTIFICATIF_MAX_BYTES = 1_000_000
# the limit as users read it, with the bytes it means (a "1 Mo" file of 1 048 576 bytes is refused)
JUSTIFICATIF_MAX_TEXT = "1 Mo (1 000 000 octets)"
JUSTIFICATIF_TOO_BIG = f"Le justificatif doit peser moins de {JUSTIFICATIF_MAX_TEXT}."

PERIMETER_REFUSAL = (
    "Non, vous ne pouvez pas vous référencer sur DOKELIO Ile-de-France. "
    "Dokelio Ile-de-France, la base de données régionale de l'offre de formation "
    "professionnelle, concerne uniquement un périmètre régional, celui de l'Ile-de-France. "
    "Veuillez-vous rapprocher du Carif-Oref de votre région : " + CARIF_OREF_MAP_URL
)
JUSTIFICATION_REQUIRED = (
    "Votre organisme est situé hors Ile-de-France : vous devez joindre un justificatif "
    "de type convention de formation précisant un lieu de formation en présentiel "
    "francilien (en anonymisant impérativement le document s'il contient des informations "
    "concernant un individu ; cf. RGPD). Ce document doit être au format PDF et peser "
    f"moins de {JUSTIFICATIF_MAX_TEXT}. Sans ce document, nous ne pourrons pas accepter votre inscription."
)


def departement_of(code_postal) -> str | None:
    """The département a French 5-digit postal code's digits point to ('20090' -> '2A', '97400' ->
    '974'): La Poste's routing, a hint only (a CEDEX code's communes are looked for there); the
    département of an address is its commune's."""
    if not isinstance(code_postal, str):
        return None
    cp = code_postal.strip()
    if len(cp) != 5 or not cp.isascii() or not cp.isdigit():
        return None
    head = cp[:2]
    if head == "20":
        return "2A" if int(cp) < 20200 else "2B"
    if head in ("97", "98"):  # overseas: 971-976 (975 St-Pierre), Pacific 984-988; 980 = Monaco
        return cp[:3] if cp[:3] in _OVERSEAS else None
    return None if head in ("00", "96", "99") else head


def is_idf_region(region_code) -> bool:
    """True iff this region code (of a commune) is Ile-de-France's."""
    return region_code == IDF_REGION


def check_registration_perimeter(region_siege: str | None, offers_presentiel_in_idf: bool,
                                 foad_only: bool, has_justification: bool) -> str | None:
    """Pré-inscription. `region_siege`: the region of the seat's commune; None (no
    commune found, or an address abroad) counts as outside Ile-de-France."""
    if is_idf_region(region_siege):
        return None
    if foad_only or not offers_presentiel_in_idf:
        return PERIMETER_REFUSAL
    if not has_justification:
        return JUSTIFICATION_REQUIRED
    return None


def validate_justificatif(head: bytes, size: int) -> str | None:
    """The uploaded justification: a PDF (magic bytes) of less than JUSTIFICATIF_MAX_BYTES."""
    if size <= 0 or not head:
        return "Le justificatif est vide."
    if size >= JUSTIFICATIF_MAX_BYTES:
        return JUSTIFICATIF_TOO_BIG
    if not head.startswith(b"%PDF-"):
        return "Le justificatif doit être au format PDF."
    return None


# A session's modalité: its code (schema.sql's modalite table) -> the key of LHEO's
# dict-modalites-enseignement, as seeds/data/modalites.csv loads them (a test checks both agree).
MODALITE_LHEO_CODES = {"presentiel": "0", "mixte": "1", "foad": "2"}
MODALITES = tuple(MODALITE_LHEO_CODES)
MODALITE_BY_LHEO_CODE = {lheo: code for code, lheo in MODALITE_LHEO_CODES.items()}
PLACE_REQUIRED = "Un lieu de formation est obligatoire pour une session en présentiel."
PLACE_WITHOUT_COMMUNE = ("La commune du lieu de formation n'est pas reconnue : corrigez son code postal et sa "
                         "ville dans le carnet d'adresses (seules les formations ayant lieu en Ile-de-France "
                         "peuvent être référencées).")


class Place(Protocol):
    """What the perimeter reads of a training place: its commune (an Adresse of the carnet, whose
    commune services.communes resolved, or a Commune row)."""

    code_insee: str | None
    departement_code: str | None
    region_code: str | None


def check_session_place(modalite: str, lieu: Place | None) -> str | None:
    """The training place of a session: required in présentiel, optional in mixte (LHEO makes it
    optional), not needed in FOAD; when there is one (présentiel or mixte), its commune must be in
    Ile-de-France. `lieu` None: the session has no place."""
    if modalite not in MODALITES:
        return "La modalité de formation doit être présentiel, mixte ou à distance (FOAD)."
    if modalite == "foad":
        return None
    if lieu is None:
        return PLACE_REQUIRED if modalite == "presentiel" else None
    if not getattr(lieu, "code_insee", None):
        return PLACE_WITHOUT_COMMUNE
    if not is_idf_region(getattr(lieu, "region_code", None)):
        where = getattr(lieu, "departement_code", None)
        return ((f"Le lieu de formation est situé dans le département {where}" if where else
                 "Le lieu de formation est situé")
                + " : seules les formations ayant lieu en Ile-de-France (départements "
                + ", ".join(IDF_DEPARTEMENTS) + ") peuvent être référencées.")
    return None


def check_session_dates(date_debut: date | None, date_fin: date | None) -> str | None:
    """Both dates are required, within the plausible range (rules/validation.py) and the end is not
    before the start."""
    if date_debut is None or date_fin is None:
        return "Les dates de début et de fin de la session sont obligatoires."
    out_of_range = date_in_range(date_debut) or date_in_range(date_fin)
    if out_of_range:
        return out_of_range
    if date_fin < date_debut:
        return "La date de fin doit être postérieure ou égale à la date de début."
    return None
