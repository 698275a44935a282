"""What a typed value must be before anything is saved: mandatory text with content, dates in a
plausible range, hours that add up, posted ids that name a row the user may reach.

Pure functions, cheap enough for the LHEO import's volume: the forms (admin_views/action_fields.py),
the services and the import call them, so that every path that writes applies the same rule.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from ._text import blank

REQUIRED_MESSAGE = "Ce champ est obligatoire."

# A date before 1990 or after 2100 is a typing slip (01/01/0001, 2207 for 2027), never a training
# session: refused at the field rather than stored and then refused by every later save.
DATE_MIN_YEAR, DATE_MAX_YEAR = 1990, 2100
DATE_RANGE_MESSAGE = f"La date doit être comprise entre {DATE_MIN_YEAR} et {DATE_MAX_YEAR}."

HOURS_SUM_MESSAGE = ("Les heures en centre et en entreprise ({parts} h) ne peuvent pas dépasser la durée "
                     "totale ({total} h).")
UNKNOWN_CHOICE_MESSAGE = "Valeur inconnue : choisissez une valeur proposée par la liste."
MODULE_PARENT_MESSAGE = ("Un module se crée depuis l'onglet MODULES d'une action modulaire (« Action modulaire » "
                         "à Oui), qui n'est pas elle-même un module.")


def required_text(value) -> str | None:
    """Mandatory text: spaces, tabs and newlines alone are no content."""
    return REQUIRED_MESSAGE if blank(value) else None


def date_in_range(value: date | None) -> str | None:
    """A date between 01/01/1990 and 31/12/2100 (None: no date, nothing to say)."""
    if value is None or DATE_MIN_YEAR <= value.year <= DATE_MAX_YEAR:
        return None
    return DATE_RANGE_MESSAGE


def _hours_text(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def check_hours_sum(total, centre, entreprise) -> str | None:
    """The hours en centre plus en entreprise are part of the total duration, never more."""
    if total is None or (centre is None and entreprise is None):
        return None
    parts = Decimal(str(centre or 0)) + Decimal(str(entreprise or 0))
    total = Decimal(str(total))
    if parts <= total:
        return None
    return HOURS_SUM_MESSAGE.format(parts=_hours_text(parts), total=_hours_text(total))


def unknown_values(posted: Iterable[str], known: Iterable[str]) -> list[str]:
    """The posted ids (non-blank, as text) that match no known one, in the order posted."""
    known = {str(k) for k in known}
    seen, strangers = set(), []
    for value in posted:
        value = str(value).strip()
        if value and value not in known and value not in seen:
            seen.add(value)
            strangers.append(value)
    return strangers


def foreign_row_ids(posted: Iterable[str | None], own: Iterable) -> list[str]:
    """Ids posted for existing rows of a record (inline rows) that are not rows of that record: a forged
    id, never to be created or taken over. A blank id is a new row."""
    return unknown_values((p for p in posted if p is not None), own)


def module_parent_problem(parent_type: str | None, parent_modulaire: bool | None) -> str | None:
    """A module is created under an action modulaire, itself not a module."""
    if parent_type == "module" or not parent_modulaire:
        return MODULE_PARENT_MESSAGE
    return None
