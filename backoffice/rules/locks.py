"""Field locks of conventionnées actions: what the programme keeps from the OF."""
from __future__ import annotations

from ._text import blank

CONTRACTUAL_FIELDS = ("date_debut", "date_fin", "duree_totale", "heures_centre", "heures_entreprise")
_CONTRACTUAL_LABELS = {
    "date_debut": ("La date de début", "la"),
    "date_fin": ("La date de fin", "la"),
    "duree_totale": ("La durée totale", "la"),
    "heures_centre": ("Le nombre d'heures en centre", "le"),
    "heures_entreprise": ("Le nombre d'heures en entreprise", "le"),
}


def parse_lock_policy(text: str | None) -> frozenset[str]:
    """'date_debut, date_fin' -> frozenset; unknown names ignored; None/'' -> empty."""
    if not text:
        return frozenset()
    names = (part.strip().lower() for part in text.split(","))
    return frozenset(n for n in names if n in CONTRACTUAL_FIELDS)


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
