"""The import report: counts, and every element rejected or worth reading, with its line, its path
and a French reason.

Two kinds of problem (`Problem.gravite`):
- REJET: something the file gives was not imported (an element the schema refuses, an invalid
  value, an unknown code, a session or a formation left out). The CLI exits 1 when there is one,
  and a strict import writes nothing;
- AVERTISSEMENT: imported, but worth reading (elements put back in the schema's order, a value that
  differs between the LHEO actions of one formation where the back-office keeps one, LHEO elements
  the back-office has no field for, ...).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

REJET = "rejet"
AVERTISSEMENT = "avertissement"
READING = "lecture"  # ImportReport.phase while the schema and the parser read a formation
MAX_PATH = 300  # import_lheo_probleme.chemin

SUMMARY_LABELS = (
    ("formations_lues", "formations lues"), ("formations_rejetees", "formations rejetées"),
    ("organismes_crees", "organismes créés"), ("organismes_mis_a_jour", "organismes mis à jour"),
    ("actions_creees", "actions créées"), ("actions_mises_a_jour", "actions mises à jour"),
    ("actions_inchangees", "actions inchangées"), ("sessions_creees", "sessions créées"),
    ("sessions_mises_a_jour", "sessions mises à jour"), ("sessions_archivees", "sessions archivées"),
    ("sessions_rejetees", "sessions rejetées"),
)
CHANGE_COUNTS = ("organismes_crees", "organismes_mis_a_jour", "actions_creees", "actions_mises_a_jour",
                 "sessions_creees", "sessions_mises_a_jour", "sessions_archivees")


@dataclass(frozen=True)
class Problem:
    line: int | None
    path: str  # /lheo/offres/formation/contact-formation/coordonneFs
    message: str  # French, says what was done ("... : élément ignoré")
    formation: str | None = None  # @numero of the formation it belongs to
    gravite: str = REJET

    def __str__(self):
        where = f"ligne {self.line}" if self.line else "ligne inconnue"
        ident = f" [formation {self.formation}]" if self.formation else ""
        kind = "rejet" if self.gravite == REJET else "avertissement"
        return f"{where}{ident} {self.path} : {kind} : {self.message}"


@dataclass
class ImportReport:
    """Counts and problems of one import.

    Problems are kept in `problems` (all of them by default); a caller streaming a big file
    passes `on_problem` (e.g. print) and `keep=0` so that memory does not grow with the number
    of problems; `rejets`, `avertissements` and `problem_count` count them all anyway.
    `written` is False when nothing was written (a strict import with a rejet, or a fatal error
    before any formation); `fatal` says why the file could not be read to its end.
    """
    source: str
    counts: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    fatal: str | None = None
    on_problem: Callable[[Problem], None] | None = None
    keep: int | None = None  # None: keep every problem
    rejets: int = 0
    avertissements: int = 0
    written: bool = True
    # while a batch of formations is processed (hold()), problems wait here with the position of
    # their formation in the file, and are handed on in file order (release())
    held: list | None = None
    position: int = 0
    # position -> [(phase, problem)] found there, until released; `phase` says whether the file's
    # bytes alone gave the problem (READING: the schema and the parser) or the base did too
    found: dict = field(default_factory=dict)
    phase: str = ""

    @property
    def problem_count(self) -> int:
        return self.rejets + self.avertissements

    def add(self, line, path, message, formation=None, gravite: str = REJET) -> Problem:
        path = path if len(path) <= MAX_PATH else "…" + path[-(MAX_PATH - 1):]
        problem = Problem(line, path, message, formation, gravite)
        if gravite == REJET:
            self.rejets += 1
        else:
            self.avertissements += 1
        self.found.setdefault(self.position, []).append((self.phase, problem))
        if self.held is not None:
            self.held.append((self.position, self.rejets + self.avertissements, problem))
        else:
            self._hand_on(problem)
        return problem

    def _hand_on(self, problem: Problem) -> None:
        if self.keep is None or len(self.problems) < self.keep:
            self.problems.append(problem)
        if self.on_problem is not None:
            self.on_problem(problem)

    def hold(self) -> None:
        """Keep the problems found from now on until release(): a batch is read, then checked,
        then written, and each step finds problems of all its formations."""
        if self.held is None:
            self.held = []

    def at(self, position: int) -> None:
        """The problems found from now on belong to the formation at `position` in the file."""
        self.position = position

    def found_at(self, position: int) -> list[tuple[str, Problem]]:
        """The (phase, problem) found of the formation at `position` (not released yet)."""
        return self.found.get(position, [])

    def forget(self, position: int) -> None:
        """Withdraw the problems held of the formation at `position` (it is read again)."""
        for _position, _rank, problem in [h for h in self.held or () if h[0] == position]:
            if problem.gravite == REJET:
                self.rejets -= 1
            else:
                self.avertissements -= 1
        self.held = [h for h in self.held or () if h[0] != position]
        self.found.pop(position, None)

    def release(self, upto: int | None = None) -> None:
        """Hand on the problems held of the formations before `upto` (all: None), in file order."""
        for position in [p for p in self.found if upto is None or p < upto]:
            del self.found[position]
        if not self.held:
            return
        ready = [h for h in self.held if upto is None or h[0] < upto]
        self.held = [h for h in self.held if not (upto is None or h[0] < upto)]
        for _position, _rank, problem in sorted(ready, key=lambda h: (h[0], h[1])):
            self._hand_on(problem)

    def warn(self, line, path, message, formation=None) -> Problem:
        return self.add(line, path, message, formation, AVERTISSEMENT)

    @property
    def changed(self) -> int:
        """Records created, updated or archived (0 for a re-import of the same file)."""
        return sum(self.counts.get(key, 0) for key in CHANGE_COUNTS)

    def summary(self) -> list[str]:
        lines = [f"Import LHEO, source « {self.source} » :"]
        lines += [f"  {label} : {self.counts.get(key, 0)}" for key, label in SUMMARY_LABELS]
        lines.append(f"  éléments rejetés : {self.rejets}")
        lines.append(f"  avertissements : {self.avertissements}")
        if not self.written:
            lines.append("  RIEN N'A ÉTÉ ÉCRIT (import strict : au moins un élément rejeté)"
                         if self.fatal is None else "  RIEN N'A ÉTÉ ÉCRIT")
        if self.fatal:
            lines.append(f"  ERREUR : {self.fatal}")
        return lines


def element_path(el) -> str:
    """/lheo/offres/formation/... from the element's ancestors (local names); an <extras> block
    and an <extra> are named with their @info ("extras[@info=dokelio]/extra[@info=programme]")."""
    names = []
    while el is not None:
        if isinstance(el.tag, str):
            name = etree.QName(el).localname
            if name in ("extras", "extra") and el.get("info"):
                name = f"{name}[@info={el.get('info')}]"
            names.append(name)
        el = el.getparent()
    return "/" + "/".join(reversed(names))


_NS = re.compile(r"\{[^}]*\}")


def _names(text: str) -> str:
    """'( {ns}a, {ns}b )' -> 'a, b'."""
    return ", ".join(n.strip() for n in _NS.sub("", text).strip(" ()").split(",") if n.strip())


def french_reason(message: str, known_elements: frozenset[str]) -> tuple[str, str]:
    """(French reason, what to do: 'remove' | 'attribute:<name>' | 'text' | 'keep') for a libxml2 message."""
    body = message.split(": ", 1)[1] if ": " in message else message
    element = re.match(r"Element '(?:\{[^}]*\})?([^']+)'", message)
    name = element.group(1) if element else "?"
    attribute = re.match(r"Element '[^']*', attribute '([^']+)'", message)
    if attribute and "is not allowed" in message:
        return f"attribut « {attribute.group(1)} » non prévu par LHEO : attribut ignoré", f"attribute:{attribute.group(1)}"
    if "This element is not expected" in body:
        expected = re.search(r"Expected is(?: one of)? (\(.*\))", body)
        hint = f" (attendu ici : {_names(expected.group(1))})" if expected else ""
        if name not in known_elements:
            return f"élément « {name} » inconnu du format LHEO{hint} : élément ignoré", "remove"
        return (f"élément « {name} » inattendu à cette position (ordre des éléments ou élément en trop)"
                f"{hint} : élément ignoré"), "remove"
    if "Missing child element" in body:
        expected = re.search(r"Expected is(?: one of)? (\(.*\))", body)
        return f"élément obligatoire manquant : {_names(expected.group(1)) if expected else '?'}", "keep"
    facet = re.search(r"\[facet '(\w+)'\]", body)
    if facet:
        kind = facet.group(1)
        numbers = re.findall(r"'(\d+)'", body)
        value = re.search(r"The value '([^']*)'", body)
        if kind == "maxLength" and len(numbers) >= 2:
            reason = f"valeur trop longue ({numbers[0]} caractères, maximum {numbers[1]})"
        elif kind == "minLength" and len(numbers) >= 2:
            reason = f"valeur trop courte ({numbers[0]} caractères, minimum {numbers[1]})"
        elif kind == "length" and len(numbers) >= 2:
            reason = f"longueur incorrecte ({numbers[0]} caractères au lieu de {numbers[1]})"
        elif kind == "enumeration":
            reason = f"code « {value.group(1) if value else '?'} » absent de la table LHEO"
        elif kind == "pattern":
            reason = f"format invalide « {value.group(1) if value else '?'} »"
        else:
            reason = f"valeur non conforme (contrainte {kind})"
        return f"{reason} : élément ignoré", "remove"
    if "is not a valid value of the" in body:
        value = re.match(r"'([^']*)'", body)
        return f"valeur « {value.group(1) if value else '?'} » non conforme (nombre attendu) : élément ignoré", "remove"
    if "Character content other than whitespace is not allowed" in body:
        return "texte non prévu dans cet élément : texte ignoré", "text"
    return f"non conforme au schéma LHEO 2.3 ({_NS.sub('', body).strip()})", "keep"
