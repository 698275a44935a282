"""The help pages as data: each entry a title, a topic, the roles it concerns and a body in the
format of markup.py. The texts are in content_*.py; the figures they quote (delays, limits) come
from the rules that apply them, so the help never says another number than the application does.
Search runs in Python over the entries (they are few). No Flask import."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..rules import accounts, perimeter, robot
from . import markup

REGISTRATION_SLUG = "comment-s-inscrire"  # the one page open to visitors not logged in (views.py)

# The {names} a body may quote, each from the rule's own home.
FIGURES = {
    "echecs_avant_blocage": accounts.LOCK_AFTER_FAILURES,
    "minutes_premier_blocage": int(accounts.FIRST_LOCK.total_seconds() // 60),
    "heures_blocage_max": int(accounts.LONGEST_LOCK.total_seconds() // 3600),
    "jours_avant_archivage": robot.REMINDER_DAYS_BEFORE,
    "jours_avant_inactivation": robot.INACTIVATION_DAYS,
    "justificatif_max_mo": perimeter.JUSTIFICATIF_MAX_BYTES // 1_000_000,
}

@dataclass(frozen=True)
class Entry:
    slug: str
    title: str
    topic: str
    roles: tuple[str, ...]
    source: str  # the body as written, with its {figures}

    @property
    def body(self) -> str:
        return self.source.format_map(FIGURES)

    def html(self):
        return markup.render(self.body)

    def links(self) -> list[str]:
        return markup.links(self.body)

    def concerns(self, role: str | None) -> bool:
        return role in self.roles

def fold(text: str) -> str:
    """Lower case, accents and ligatures removed, spaces collapsed: « Désarchiver » -> « desarchiver »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe").replace("æ", "ae"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())

def _all() -> tuple[Entry, ...]:
    from .content_access import ENTRIES as access
    from .content_offer import ENTRIES as offer
    from .content_team import ENTRIES as team
    return tuple(Entry(*values) for values in (*access, *offer, *team))

ENTRIES: tuple[Entry, ...] = _all()
BY_SLUG: dict[str, Entry] = {entry.slug: entry for entry in ENTRIES}
TOPICS: tuple[str, ...] = tuple(dict.fromkeys(entry.topic for entry in ENTRIES))

def search(query: str, entries: tuple[Entry, ...] = ENTRIES) -> list[Entry]:
    """The entries holding every word of `query` (title or text, case and accents ignored), those
    whose title holds them first; the order of the entries otherwise."""
    words = fold(query).split()
    if not words:
        return list(entries)
    found = []
    for entry in entries:
        title = fold(entry.title)
        text = f"{title} {fold(entry.topic)} {fold(markup.plain(entry.body))}"
        if all(word in text for word in words):
            found.append((0 if all(word in title for word in words) else 1, entry))
    return [entry for _, entry in sorted(found, key=lambda pair: pair[0])]
