"""Which commune an address designates: its postal code and the town name as typed.

The commune referential (table commune, loaded by `flask import-communes`) gives the communes of
each postal code; this module picks the one the typed town name designates, or says in French why
none does. Pure Python: the candidates are any objects with `code_insee` and `nom` (Commune rows in
the application, plain tuples in tests).

Typed names are compared after `town_key`: case, accents and ligatures, hyphens, apostrophes and
spaces do not count, nor a leading article when only one commune fits; "St" / "Ste" are "Saint" / "Sainte", "s/" is "sur"; a trailing "Cedex" and its
number, or an arrondissement ("Paris 11e", "Lyon 3e arrondissement", La Poste's "PARIS 11"), are
left out. A CEDEX postal code designates no commune in the referential: the caller may then offer
the communes of its département (`is_cedex`), matched by name alone.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._text import fold

MAX_TYPED = 200  # characters of a typed name looked at (the column holds 100)
MAX_LISTED = 8  # communes named in a "does not match" message
CODE_POSTAL_INVALID = "Le code postal doit comporter 5 chiffres."
VILLE_REQUIRED = "La ville est obligatoire."
FRANCE_NAMES = frozenset({"", "france", "fr", "fra", "francemetropolitaine"})

_WORD = re.compile(r"[a-z0-9]+")
_SUR = re.compile(r"\bs\s*/\s*")  # "Neuilly s/ Seine"
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# trailing words that never belong to a commune's name: "cedex", "cedex11", "11", "11e", "1er",
# "11eme", "arrondissement"
_TRAILING = re.compile(r"cedex\d*|\d{1,3}(?:e|er|ere|eme|ieme|em)?|arr|arrdt|arrondissement|arrondissements")
_ARTICLES = ("les", "le", "la", "l")


@dataclass(frozen=True)
class CommuneMatch:
    """The commune found (`commune`), or why none was (`message`, at the form field `field`)."""

    commune: Any = None
    message: str | None = None
    field: str | None = None

    @property
    def found(self) -> bool:
        return self.commune is not None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def clean_code_postal(code_postal) -> str | None:
    """'77 120' -> '77120'; None unless 5 ASCII digits remain."""
    text = "".join(_text(code_postal).split())
    return text if len(text) == 5 and text.isascii() and text.isdigit() else None


def _words(name) -> list[str]:
    text = _SUR.sub(" sur ", fold(_text(name)[:MAX_TYPED]))
    return [_ABBREVIATIONS.get(word, word) for word in _WORD.findall(text)]


def town_key(name) -> str:
    """The form of a town name that comparisons use: 'St-Ouen-sur-Seine CEDEX 2' -> 'saintouensurseine'."""
    words = _words(name)
    while len(words) > 1 and _TRAILING.fullmatch(words[-1]):
        words.pop()
    return "".join(words)


def _without_article(key: str, name) -> str:
    """The key without the leading article the name starts with ("Le Mée-sur-Seine" -> 'meesurseine')."""
    words = _words(name)
    if len(words) > 1 and words[0] in _ARTICLES:
        return key[len(words[0]):]
    return key


def is_cedex(ville) -> bool:
    """The typed town carries a CEDEX mention (its postal code is then a CEDEX code)."""
    return any(word.startswith("cedex") for word in _words(ville))


def is_france(pays) -> bool:
    """A French address (blank counts as France, the column's default): only those have a commune."""
    return "".join(_WORD.findall(fold(_text(pays)[:MAX_TYPED]))) in FRANCE_NAMES


def shown(typed, limit: int = 60) -> str:
    """The typed text as a message quotes it: one line, no control characters, bounded."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in _text(typed)[:MAX_TYPED])
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _names(candidates: Sequence) -> str:
    names = sorted({c.nom for c in candidates}, key=lambda n: (town_key(n), n))
    listed = ", ".join(names[:MAX_LISTED])
    return listed + (", …" if len(names) > MAX_LISTED else "")


def match_commune(code_postal, ville, candidates: Sequence, cedex_departement: str | None = None) -> CommuneMatch:
    """The commune among `candidates` that the typed `ville` names.

    `candidates`: the communes of the postal code; or, when `cedex_departement` is given (a CEDEX
    code, which the referential does not hold), the communes of that département. Never raises,
    whatever the input."""
    cp = clean_code_postal(code_postal)
    if cp is None:
        return CommuneMatch(message=CODE_POSTAL_INVALID, field="code_postal")
    if not candidates:
        return CommuneMatch(message=f"Le code postal {cp} ne correspond à aucune commune.", field="code_postal")
    key = town_key(ville)
    if not key:
        return CommuneMatch(message=VILLE_REQUIRED, field="ville")
    keyed = sorted(((town_key(c.nom), c) for c in candidates), key=lambda kc: kc[1].code_insee)
    matching = [c for k, c in keyed if k == key]
    if not matching:  # "Mée-sur-Seine" for "Le Mée-sur-Seine", "Le Perreux" for "Perreux": one commune only
        bare = _without_article(key, ville)
        matching = [c for k, c in keyed if bare and _without_article(k, c.nom) == bare]
        matching = matching if len(matching) == 1 else []
    if matching:  # two communes of one postal code never share a name (checked on the 2025 referential)
        return CommuneMatch(commune=matching[0])
    if cedex_departement:
        return CommuneMatch(field="ville", message=(
            f"La ville « {shown(ville)} » ne correspond à aucune commune du département {cedex_departement} "
            f"(code postal CEDEX {cp}) : indiquez le nom de la commune."))
    return CommuneMatch(field="ville", message=(
        f"La ville « {shown(ville)} » ne correspond pas au code postal {cp} ({_names(candidates)})."))


__all__ = ["CommuneMatch", "clean_code_postal", "town_key", "is_cedex", "is_france", "match_commune", "shown",
           "CODE_POSTAL_INVALID", "VILLE_REQUIRED"]
