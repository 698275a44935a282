"""What a user types in a search box is searched as typed, in French: accents and case ignored,
each word as the start of a word of the record, LIKE's own characters taken literally, and a text
that is exactly one OF_/AF_/SE_ number told apart (looked up by equality on the numbered column).

One function, `search_key`, writes both sides: the key stored with a record (its searched texts,
models/search_keys.py) and each word typed. Words are runs of letters and digits; every other
visible character (' - % _ \\ ...) is a word of its own, so "l'électricien" is found by
"electricien" and "50%" by "50%" (never by "50 pour cent")."""
from __future__ import annotations

import re

from ._text import fold
from .identifiers import parse_numero

LIKE_ESCAPE = "\\"  # the ESCAPE character the patterns below are written for
SEARCH_MAX = 250  # characters of a search text (a raison sociale's); longer is refused
SEARCH_TOO_LONG = f"La recherche est trop longue : {SEARCH_MAX} caractères au plus."
PART_END = "\n"  # ends the intitulé's and the organisme's parts of an action's key (never in a word)
_WORD = re.compile(r"\w+|[^\w\s]")


def escape_like(text: str) -> str:
    """'50%_x' -> '50\\%\\_x': LIKE reads every character of `text` literally (the escape
    character itself first, or the escapes added after it would be escaped again)."""
    return (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
            .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))


def contains_pattern(text: str) -> str:
    """The LIKE pattern (with ESCAPE LIKE_ESCAPE) matching exactly the values containing `text`."""
    return f"%{escape_like(text)}%"


def search_key(*texts) -> str:
    """('Secrétaire', "l'Œuvre 50%") -> ' secretaire l ' oeuvre 50 % ': the texts folded (lower
    case, no accent, ligatures spelt out), cut into words, each followed by one space and the
    whole preceded by one, so that ' <word>' starts a word. None and blanks add nothing. The "_"
    of \\w is a word character for re: it is cut apart too (it is LIKE's, and a separator to users)."""
    words = []
    for text in texts:
        if text:
            # capitals, then lower case, then fold(): a letter and its capital alike (ı and I, ð and Ð)
            words.extend(_WORD.findall(fold(str(text).upper().casefold()).replace("_", " _ ")))
    return " " + " ".join(words) + " " if words else " "


def action_search_key(intitule, organisme_key, objectif=None, contenu=None) -> str:
    """An action's key, in three parts: its intitulé's words, its organisme's key (names and
    SIRET, organisme_search_key), its objectif's and contenu's words; one LIKE per word typed
    finds an action by any of them, and the part a word is in orders the results (relevance)."""
    return search_key(intitule) + PART_END + (organisme_key or " ") + PART_END + search_key(objectif, contenu)


def with_organisme_key(action_key: str, organisme_key: str) -> str:
    """An action's key after its organisme's key changed (a new name), its own parts unchanged."""
    parts = (action_key or "").split(PART_END)
    if len(parts) != 3:  # not a key of action_search_key's (a row written before it): its own parts lost
        parts = [" ", " ", " "]
    return PART_END.join((parts[0], organisme_key or " ", parts[2]))


def organisme_search_key(raison_sociale, nom_usuel=None, siret=None) -> str:
    """An organisme's key: the words of its names and its SIRET, each part keyed apart
    (' eurl bati sante  bati sante  341 '): a word typed is found in any part, and a part ends
    where two spaces meet, so that a whole name is told from a run of words (name_pattern)."""
    return search_key(raison_sociale) + search_key(nom_usuel) + search_key(siret)


NAME_WORDS_MIN = 2  # a name looked up whole has two words or more (one is too often a word of titles)


def second_part(key: str) -> str:
    """An organisme's key from its second part (the nom usuel's) on; the whole key when it has
    one part. The database computes the same: substr(key, strpos(key, '  ') + 1)."""
    return key[key.find("  ") + 1:]


def name_pattern(text) -> str | None:
    """The LIKE pattern matching an organisme's key whose raison sociale is `text` (matched on
    the key) or whose nom usuel is (matched on second_part(key)), accents, case and spacing
    aside; None: fewer than NAME_WORDS_MIN words, not looked up as a name."""
    if len(search_words(text)) < NAME_WORDS_MIN:
        return None
    return escape_like(search_key(text)) + " %"


def word_pattern(word: str) -> str | None:
    """The LIKE pattern matching the keys having `word` (as typed, one word of the search) at the
    start of one of their words: 'secrét' -> '% secret%'. None: nothing searchable in it."""
    key = search_key(word).strip()
    return f"% {escape_like(key)}%" if key else None


def title_pattern(word: str) -> str | None:
    """word_pattern restricted to the intitulé's part of an action's key (before both PART_ENDs)."""
    pattern = word_pattern(word)
    return None if pattern is None else pattern + PART_END + "%" + PART_END + "%"


def organisme_pattern(word: str) -> str | None:
    """word_pattern restricted to the organisme's part of an action's key (between the PART_ENDs)."""
    pattern = word_pattern(word)
    return None if pattern is None else "%" + PART_END + pattern + PART_END + "%"


def search_words(text) -> list[str]:
    """The words of a search text that have something to search ('  secrét  l’ ' -> ['secrét', 'l’'])."""
    if not isinstance(text, str):
        return []
    return [word for word in text.split() if search_key(word).strip()]


def search_problem(text) -> str | None:
    """The French message for a search text too long to be a search (a 10 kB paste); None:
    searchable. Control characters (a NUL byte, which PostgreSQL refuses in any text) never get
    this far: the application strips them at its edge (input_guard.py), the partner API refuses
    them with its own French message."""
    if isinstance(text, str) and len(text) > SEARCH_MAX:
        return SEARCH_TOO_LONG
    return None


def searched_numero(text) -> tuple[str, int] | None:
    """(' se_0000193353 ') -> ('SE', 193353): the search text is one back-office number, whatever
    its case and spaces (read on the phone, typed as heard); anything else -> None."""
    if not isinstance(text, str) or len(text) > SEARCH_MAX:
        return None
    return parse_numero("".join(text.split()).upper())
