"""How much of the LHEO content a feed carries: `flask lheo-coverage FICHIER.xml`.

For each element of ELEMENTS (the content partner portals need: prices, public visé, access,
languages, recruitment and registration, contacts, URLs, subcontracting, funders, codes, blocs,
communes and geolocation), the number and share of <formation> elements carrying it at least
once (anywhere in the formation: its actions, sessions, addresses); the totals of formations,
actions and sessions; the @numero used by more than one formation, action or session element
(an identifier names one element of the feed); and, on request, the file's validity against
the vendored LHEO 2.3 schema, checked in the same pass.

The file is streamed (lxml iterparse, each formation cleared once counted): memory does not
grow with the number of formations, except for the identifiers, kept as 8-byte hashes (16 MB
for two million); those seen twice are named by a second pass over the file.
"""
from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from .lheo_format import schema as lheo_schema

ELEMENTS = (
    "prix-total-TTC", "prix-horaire-TTC", "frais-restants", "detail-conditions-prise-en-charge",
    "code-public-vise", "acces-handicapes", "langue-formation", "modalites-recrutement", "modalites-pedagogiques",
    "code-modalite-pedagogique", "date-information", "periode-inscription", "modalites-inscription",
    "adresse-inscription", "adresse-information", "contact-session", "url-formation", "url-action", "url-session",
    "organisme-formateur", "organisme-financeur", "nb-places-financees", "code-ROME", "code-CERTIFINFO", "code-CPF",
    "blocs-competences", "modalites-alternance", "code-INSEE-commune", "geolocalisation",
)
DUPLICATES_LISTED = 20  # identifiers named in the report; the count covers them all
_BUCKETS = 256


@dataclass
class Coverage:
    """What measure() found in a file."""
    path: str
    formations: int = 0
    actions: int = 0
    sessions: int = 0
    carrying: Counter = field(default_factory=Counter)  # element -> formations carrying it
    # identifier -> {element name: times}, for the identifiers used more than once
    duplicates: dict[str, Counter] = field(default_factory=dict)
    validated: bool = False
    error: str | None = None  # unreadable file, or not valid against the schema

    @property
    def ok(self) -> bool:
        return self.error is None and not self.duplicates

    def share(self, element: str) -> float:
        return self.carrying[element] / self.formations if self.formations else 0.0

    def lines(self) -> list[str]:
        """The report, in French, one line per item."""
        out = [f"Couverture LHEO de {self.path}",
               f"formations : {_number(self.formations)} ; actions : {_number(self.actions)} ; "
               f"sessions : {_number(self.sessions)}",
               "", f"{'élément':<36}{'formations':>12}{'part':>10}"]
        for element in ELEMENTS:
            out.append(f"{element:<36}{_number(self.carrying[element]):>12}{_percent(self.share(element)):>10}")
        out.append("")
        if not self.duplicates:
            out.append("Numéros en double (formation, action, session) : aucun")
        else:
            out.append(f"Numéros en double (formation, action, session) : {_number(len(self.duplicates))}")
            for numero, kinds in list(self.duplicates.items())[:DUPLICATES_LISTED]:
                uses = ", ".join(f"{count} × {kind}" for kind, count in sorted(kinds.items()))
                out.append(f"  - {numero} : {uses}")
        if self.error:
            out.append(f"Fichier non conforme : {self.error}")
        elif self.validated:
            out.append("Schéma LHEO 2.3 : fichier valide")
        return out


def _number(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %".replace(".", ",")


class _Hashes:
    """Identifiers as 64-bit hashes in buckets: 8 bytes each, duplicates found one bucket at a time."""

    def __init__(self):
        self.buckets = [array("q") for _ in range(_BUCKETS)]

    def add(self, numero: str) -> None:
        h = hash(numero)
        self.buckets[h % _BUCKETS].append(h)

    def repeated(self) -> set[int]:
        found = set()
        for bucket in self.buckets:
            ordered = sorted(bucket)
            found.update(a for a, b in zip(ordered, ordered[1:], strict=False) if a == b)
        return found


def _formations(path: str, schema: etree.XMLSchema | None):
    """Each <formation> element, whatever the namespace, cleared after use with what precedes it."""
    kwargs = {"schema": schema} if schema is not None else {}
    for _event, element in etree.iterparse(path, events=("end",), tag="{*}formation", huge_tree=True, **kwargs):
        yield element
        element.clear()
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]


def _numbered(formation, ns: str):
    """(element name, @numero) of the formation and of its actions and sessions that have one."""
    yield "formation", formation.get("numero")
    for action in formation.iterchildren(f"{ns}action"):
        yield "action", action.get("numero")
        for session in action.iterchildren(f"{ns}session"):
            yield "session", session.get("numero")


def measure(path: str, validate: bool = False, on_formation: Callable | None = None) -> Coverage:
    """Read the LHEO file at `path` once (twice if an identifier repeats) and report its coverage.

    `validate` checks it against the vendored LHEO 2.3 schema in the same pass; `on_formation`
    is called with each <formation> element before it is cleared (the benchmark's own checks)."""
    report = Coverage(path, validated=validate)
    hashes = _Hashes()
    tags: dict[str, list[str]] = {}  # namespace -> Clark names of ELEMENTS
    try:
        for formation in _formations(path, lheo_schema() if validate else None):
            ns = formation.tag[:formation.tag.index("}") + 1] if formation.tag.startswith("{") else ""
            names = tags.setdefault(ns, [f"{ns}{name}" for name in ELEMENTS])
            report.formations += 1
            report.carrying.update({el.tag[len(ns):] for el in formation.iter(*names)})
            for kind, numero in _numbered(formation, ns):
                if kind == "action":
                    report.actions += 1
                elif kind == "session":
                    report.sessions += 1
                if numero:
                    hashes.add(numero)
            if on_formation is not None:
                on_formation(formation)
    except (etree.XMLSyntaxError, OSError) as exc:
        report.error = _message(exc)
        return report
    repeated = hashes.repeated()
    if repeated:
        report.duplicates = _name_duplicates(path, repeated)
    return report


def _name_duplicates(path: str, repeated: set[int]) -> dict[str, Counter]:
    """Second pass: the identifiers behind the repeated hashes, with their uses by element name."""
    uses: dict[str, Counter] = {}
    for formation in _formations(path, None):
        ns = formation.tag[:formation.tag.index("}") + 1] if formation.tag.startswith("{") else ""
        for kind, numero in _numbered(formation, ns):
            if numero and hash(numero) in repeated:
                uses.setdefault(numero, Counter())[kind] += 1
    return {numero: kinds for numero, kinds in sorted(uses.items()) if sum(kinds.values()) > 1}


def _message(exc: Exception) -> str:
    """libxml2's message and its line (a schema error found while streaming has none: the message
    names the element and its value)."""
    if isinstance(exc, etree.XMLSyntaxError):
        return f"{exc.msg or exc}" + (f" (ligne {exc.lineno})" if exc.lineno else "")
    return f"lecture impossible ({exc.strerror or exc})"
