"""Field locks of conventionnées actions: what the programme keeps from the OF.

LOCKABLE_FIELDS is the one list of lockable fields: the programme screen offers exactly these
check boxes (admin_views/programmes.py), the session services enforce them (services/sessions.py).

Why the policy belongs to the programme, not to the dispositif: the CARIF's answer to organismes on
session dates reads "L'organisme financeur peut choisir de laisser la main à l'organisme de formation
[...] Chaque dispositif a ses propres règles de gestion": the choice is the financeur's, for one of
its dispositifs. A programme is exactly that pair (financeur + dispositif, for a year: schema.sql),
so it is the finest place where that choice lives; a policy on the dispositif alone could not tell
apart two financeurs of one dispositif (POEC: Pôle emploi / OPCO) nor a new year's convention. The
dispositif's list shows the rules its programmes set (admin_views/programmes.py).
"""
from __future__ import annotations

from collections.abc import Iterable

from ._text import blank

# name -> the label of its check box on the programme screen, in the contract's order
LOCKABLE_FIELDS = {
    "date_debut": "Date de début",
    "date_fin": "Date de fin",
    "duree_totale": "Durée totale (heures)",
    "heures_centre": "Heures en centre",
    "heures_entreprise": "Heures en entreprise",
}
CONTRACTUAL_FIELDS = tuple(LOCKABLE_FIELDS)
_CONTRACTUAL_LABELS = {
    "date_debut": ("La date de début", "la"),
    "date_fin": ("La date de fin", "la"),
    "duree_totale": ("La durée totale", "la"),
    "heures_centre": ("Le nombre d'heures en centre", "le"),
    "heures_entreprise": ("Le nombre d'heures en entreprise", "le"),
}
NO_LOCK = "Aucun"


def parse_lock_policy(text: str | None) -> frozenset[str]:
    """'date_debut, date_fin' -> frozenset; unknown names ignored; None/'' -> empty."""
    if not text:
        return frozenset()
    names = (part.strip().lower() for part in text.split(","))
    return frozenset(n for n in names if n in CONTRACTUAL_FIELDS)


def unknown_lock_fields(names: Iterable[str]) -> list[str]:
    """The names that are not lockable fields (a forged form), in the order given, once each."""
    unknown: list[str] = []
    for name in names:
        if name not in LOCKABLE_FIELDS and name not in unknown:
            unknown.append(name)
    return unknown


def lock_policy_text(names: Iterable[str]) -> str:
    """The stored policy: the chosen lockable fields, comma-separated, in the contract's order
    whatever the order they were ticked in ('' when none)."""
    chosen = set(names)
    return ",".join(f for f in CONTRACTUAL_FIELDS if f in chosen)


def lock_policy_labels(text: str | None) -> str:
    """'date_fin,date_debut' -> 'Date de début, Date de fin'; no lock -> 'Aucun'."""
    names = parse_lock_policy(text)
    return ", ".join(LOCKABLE_FIELDS[n] for n in CONTRACTUAL_FIELDS if n in names) or NO_LOCK


def locked_fields(conventionnee: bool, policy_text: str | None,
                  is_documentaliste: bool) -> frozenset[str]:
    """Fields the user may not change: the programme's policy, for an OF on a conventionnée."""
    if is_documentaliste or not conventionnee:
        return frozenset()
    return parse_lock_policy(policy_text)


def locked_violations(changes: dict[str, tuple[object, object]], locked) -> list[str]:
    """One French message per locked field whose value really changes."""
    messages = []
    for field in CONTRACTUAL_FIELDS:
        if field not in locked or field not in changes:
            continue
        old, new = changes[field]
        if (blank(old) and blank(new)) or old == new:
            continue
        label, pronoun = _CONTRACTUAL_LABELS[field]
        messages.append(f"{label} est une donnée contractuelle : seule l'équipe du "
                        f"CARIF peut {pronoun} modifier.")
    return messages
