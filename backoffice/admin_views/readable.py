"""Values of the fiches as a person reads them: dates with their precision, LHEO dates, euros, an
address, a contact, a session's funders, coded values.

Shared by the action fiche (read-only and print views), the session fiche and the
documentaliste's review diff, whose values come from the published snapshot
(services/publication.py): ISO dates, decimals as text, addresses and contacts as dicts.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from .. import rules
from ..models import Financeur
from ..rules.dates import DAY, french_partial, parse_partial_date
from .forms import request_rows


def oui_non(value) -> str:
    return "" if value is None else ("Oui" if value else "Non")


def coded(value, table: dict[str, str]) -> str:
    """'2' -> '2 - Individualisé': a code of an LHEO table with its label."""
    if value in (None, ""):
        return ""
    return f"{value} - {table[value]}" if value in table else str(value)


def french_date(value, precision: str | None = DAY) -> str:
    """A stored date (or its ISO text) with its precision: 15/09/2027, 09/2027 or 2027."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10]) if value else None
    return french_partial(value, precision or DAY) if isinstance(value, date) else ""


def french_dates(lheo_text) -> str:
    """'20270915,20270900' -> '15/09/2027, 09/2027' (a text that is no LHEO date is shown as it is)."""
    shown = []
    for text in rules.split_dates(lheo_text):
        parsed = parse_partial_date(text)
        shown.append(parsed.french() if parsed is not None else text)
    return ", ".join(shown)


def hours(value) -> str:
    """Decimal('350.0') or '35.5' -> '350', '35,5'."""
    if value in (None, ""):
        return ""
    try:
        return format(Decimal(str(value)).normalize(), "f").replace(".", ",")
    except InvalidOperation:
        return str(value)


def euros(value) -> str:
    return "" if value in (None, "") else f"{rules.euros_text(value)} €"


def _get(record, key):
    return record.get(key) if isinstance(record, dict) else getattr(record, key, None)


def _joined(parts, separator: str) -> str:
    return separator.join(str(p) for p in parts if p not in (None, ""))


def address_text(adresse) -> str:
    """An address of the carnet (a row or its snapshot): 'Site de Meaux — 12 rue de la Gare, 77100 Meaux'."""
    if not adresse:
        return ""
    street = _joined((_get(adresse, "numero_voie"), _get(adresse, "voie")), " ")
    town = _joined((_get(adresse, "code_postal"), _get(adresse, "ville")), " ")
    lines = _joined((_get(adresse, "complement_service"), _get(adresse, "complement_batiment"), street,
                     _get(adresse, "lieu_dit"), town), ", ")
    return _joined((_get(adresse, "libelle"), lines), " — ")


def contact_text(contact) -> str:
    """A contact of the carnet (a row or its snapshot): 'Paul Martin (Assistant) — 01 02 03 04 05 — p@x.fr'."""
    if not contact:
        return ""
    name = _joined((_get(contact, "prenom"), _get(contact, "nom")), " ")
    fonction = _get(contact, "fonction")
    who = f"{name} ({fonction})" if fonction else name
    return _joined((who, _get(contact, "telephone") or _get(contact, "mobile"), _get(contact, "courriel")), " — ")


def financeur_labels() -> dict[str, str]:
    """code -> 'code - libellé' of the LHEO financeurs (the table read once per request)."""
    return {row.code: str(row) for row in request_rows(Financeur)}


def places(count) -> str:
    return f"{count} place{'s' if count and count > 1 else ''} financée{'s' if count and count > 1 else ''}"


def financeurs_text(rows) -> str:
    """A session's funders (rows or snapshot dicts): '2 - Conseil régional : 10 places financées ; 4 - ...'."""
    labels = financeur_labels() if rows else {}
    shown = []
    for row in rows or ():
        code, count = _get(row, "financeur_code"), _get(row, "nb_places")
        label = labels.get(code, code)
        shown.append(f"{label} : {places(count)}" if count is not None else label)
    return " ; ".join(shown)
