"""The import report: every rejected element with its line, its path and a French reason."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree


@dataclass(frozen=True)
class Problem:
    line: int | None
    path: str  # /lheo/offres/formation/contact-formation/coordonneFs
    message: str  # French, says what was done ("... : élément ignoré")
    formation: str | None = None  # @numero of the formation it belongs to

    def __str__(self):
        where = f"ligne {self.line}" if self.line else "ligne inconnue"
        ident = f" [formation {self.formation}]" if self.formation else ""
        return f"{where}{ident} {self.path} : {self.message}"


@dataclass
class ImportReport:
    """Counts and problems of one import.

    Problems are kept in `problems` (all of them by default); a caller streaming a big file
    passes `on_problem` (e.g. print) and `keep=0` so that memory does not grow with the number
    of rejected elements. `problem_count` counts them all anyway.
    """
    source: str
    counts: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    fatal: str | None = None
    on_problem: Callable[[Problem], None] | None = None
    keep: int | None = None  # None: keep every problem
    problem_count: int = 0

    def add(self, line, path, message, formation=None) -> None:
        problem = Problem(line, path, message, formation)
        self.problem_count += 1
        if self.keep is None or len(self.problems) < self.keep:
            self.problems.append(problem)
        if self.on_problem is not None:
            self.on_problem(problem)

    @property
    def changed(self) -> int:
        """Records created or updated (0 for a re-import of the same file)."""
        return sum(v for k, v in self.counts.items() if k.endswith(("creees", "crees", "mises_a_jour",
                                                                     "mis_a_jour", "archivees")))

    def summary(self) -> list[str]:
        labels = [("formations_lues", "formations lues"), ("formations_rejetees", "formations rejetées"),
                  ("organismes_crees", "organismes créés"), ("organismes_mis_a_jour", "organismes mis à jour"),
                  ("actions_creees", "actions créées"), ("actions_mises_a_jour", "actions mises à jour"),
                  ("actions_inchangees", "actions inchangées"), ("sessions_creees", "sessions créées"),
                  ("sessions_mises_a_jour", "sessions mises à jour"), ("sessions_archivees", "sessions archivées")]
        lines = [f"Import LHEO, source « {self.source} » :"]
        lines += [f"  {label} : {self.counts.get(key, 0)}" for key, label in labels]
        lines.append(f"  éléments rejetés ou signalés : {self.problem_count}")
        if self.fatal:
            lines.append(f"  ERREUR : {self.fatal}")
        return lines


def element_path(el) -> str:
    """/lheo/offres/formation/... from the element's ancestors (local names)."""
    names = []
    while el is not None:
        if isinstance(el.tag, str):
            names.append(etree.QName(el).localname)
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
