"""Rules of an offer's content: CPF, doublon, titles, mandatory fields, web addresses."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ._text import blank, fold


def is_cpf(certifications: Iterable) -> bool:
    """CPF tag: some linked certification is CPF-eligible (objects or dicts)."""
    for cert in certifications or ():
        if isinstance(cert, Mapping):
            flag = cert.get("eligible_cpf")
        else:
            flag = getattr(cert, "eligible_cpf", None)
        if flag:
            return True
    return False


def find_doublon(cert_ids: Iterable[int],
                 others: Iterable[tuple[str, Iterable[int]]]) -> str | None:
    """Numero of the first other action (same organisme) sharing a certification."""
    mine = {c for c in cert_ids if c is not None}
    if not mine:
        return None
    for numero, ids in others:
        if mine.intersection(ids):
            return numero
    return None


def normalize_title(s) -> str:
    """Casefold, strip accents, punctuation and runs of spaces -> one space."""
    if s is None:
        return ""
    words = re.split(r"[\W_]+", fold(s))
    return " ".join(w for w in words if w)


def title_warning(intitule, cert_title) -> str | None:
    """Warn when the action's title is not the certification's exact title."""
    if cert_title is None or not normalize_title(cert_title):
        return None
    if normalize_title(intitule) == normalize_title(cert_title):
        return None
    return ("L'intitulé de l'action devrait correspondre à l'intitulé exact de la "
            f"certification : « {' '.join(str(cert_title).split())} ».")




# The fields marked (*) on the fiche, required to SOUMETTRE (the workflow's "champs_obligatoires"
# guard), keyed by the column names of schema.sql; the fiche derives its marks from this list.
# Booleans (modulaire, module_autonome, conventionnee) only count as missing when
# None: False is an answer. type_accompagnement is only asked of an accompagnement.
ACTION_MANDATORY = {
    "type": "Action ou module",
    "modulaire": "Action modulaire",
    "module_autonome": "Module autonome",
    "conventionnee": "Action conventionnée",
    "intitule": "Intitulé",
    "objectif": "Objectif",
    "contenu": "Contenu",
    "resultats_attendus": "Résultats attendus",
    "niveau_sortie_code": "Niveau de sortie",
}
ACCOMPAGNEMENT_MANDATORY = {**ACTION_MANDATORY, "type_accompagnement": "Type d'accompagnement"}
SESSION_MANDATORY = {
    "date_debut": "Date de début",
    "date_fin": "Date de fin",
    "duree_totale": "Durée totale (heures)",
    "modalite_code": "Modalités",
    "dispositif_id": "Dispositif",
}


def missing_fields(values: Mapping[str, object],
                   mandatory: Mapping[str, str] = ACTION_MANDATORY) -> tuple[str, ...]:
    """Labels of the mandatory fields that are absent or blank, in `mandatory`'s order."""
    return tuple(label for key, label in mandatory.items() if blank(values.get(key)))




URL_MAX = 400  # LHEO urlweb
_URL = re.compile(r"https?://[^\s/?#<>\"'\\]+\.[^\s/?#<>\"'\\]+(?:[/?#][^\s<>\"'\\]*)?", re.IGNORECASE)


def validate_url(value) -> str | None:
    """A web address partners can open: http:// or https://, a host with a dot, no spaces or
    quotes (a `javascript:` or `data:` address never leaves the back-office)."""
    text = (value or "").strip()
    if not text:
        return "L'adresse du site est obligatoire."
    if len(text) > URL_MAX:
        return f"L'adresse du site ne doit pas dépasser {URL_MAX} caractères."
    if not _URL.fullmatch(text):
        return ("L'adresse du site doit commencer par http:// ou https:// et désigner un site, "
                "par exemple https://www.greta-95.fr")
    return None
