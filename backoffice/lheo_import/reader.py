"""Read an LHEO file one <formation> at a time, checked against the LHEO 2.3 schema.

Streaming: lxml.iterparse hands over each <formation> when it ends; once processed it is
cleared and detached, so memory does not grow with the file. External entities, DTDs and
network access are disabled (XXE).

Each formation is validated on its own (LHEO 2.2 tags are renamed to 2.3 first: 2.3 only adds
to 2.2). Every schema error is reported (line, path, French reason) and the faulty element is
removed, then the formation is validated again, since libxml2 stops checking an element's
content at its first error; "missing child" errors caused by our own removals are not
reported twice. An element is never removed for a neighbour's fault: when the one the schema
expects before it is missing (or was just removed), the missing one is reported (an avertissement)
and the element kept. What the schema refuses and is removed is a rejet; the parser is told
which elements were removed (a refused SIRET is not a missing one).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from ..export.lheo_format import NS, NS_22, XSD_PATH, schema
from .report import AVERTISSEMENT, REJET, ImportReport, element_path, french_reason

MAX_PASSES = 12
_SEGMENT = re.compile(r"(?:[\w.-]+:)?([\w.*-]+)(?:\[(\d+)\])?")


@lru_cache(maxsize=1)
def known_elements() -> frozenset[str]:
    """Names of every element the LHEO 2.3 schema declares."""
    root = etree.parse(str(XSD_PATH)).getroot()
    return frozenset(el.get("name") for el in root.iter("{http://www.w3.org/2001/XMLSchema}element")
                     if el.get("name"))


@lru_cache(maxsize=1)
def sequences() -> dict[str, tuple[str, ...]]:
    """Element name -> the names of its children in schema order (from the xs:sequence)."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    root = etree.parse(str(XSD_PATH)).getroot()
    result = {}
    for ctype in root.iter(f"{xs}complexType"):
        name = ctype.get("name") or ""
        sequence = ctype.find(f"{xs}sequence")
        if name.endswith("-subtype") and sequence is not None:
            result[name[: -len("-subtype")]] = tuple(
                e.get("ref").split(":")[-1] for e in sequence.iter(f"{xs}element") if e.get("ref"))
    return result


def _reorder(parent) -> bool:
    """Sort `parent`'s children into schema order; False if not applicable or already in order."""
    if parent is None:
        return False
    order = sequences().get(etree.QName(parent).localname)
    if not order:
        return False
    children = [c for c in parent if isinstance(c.tag, str)]
    names = [etree.QName(c).localname for c in children]
    if any(n not in order for n in names):
        return False
    ranked = sorted(children, key=lambda c: order.index(etree.QName(c).localname))
    if ranked == children:
        return False
    for child in children:
        parent.remove(child)
    parent.extend(ranked)
    return True


def _to_23(formation) -> None:
    prefix = f"{{{NS_22}}}"
    for el in formation.iter():
        if isinstance(el.tag, str) and el.tag.startswith(prefix):
            el.tag = f"{{{NS}}}{el.tag[len(prefix):]}"


def resolve(formation, path: str):
    """The element a libxml2 error path points to, searched under `formation`."""
    segments = [s for s in path.split("/") if s][1:]  # the first segment is the formation itself
    node = formation
    for segment in segments:
        m = _SEGMENT.fullmatch(segment)
        if m is None:
            return None
        name, index = m.group(1), int(m.group(2) or 1)
        kids = [c for c in node if isinstance(c.tag, str) and (name == "*" or etree.QName(c).localname == name)]
        if len(kids) < index:
            return None
        node = kids[index - 1]
    return node


def clean_formation(formation, report: ImportReport, numero: str | None, known: frozenset[str],
                    removed: set[str] | None = None) -> None:
    """Validate, report and remove the faulty elements until the formation is schema-valid.
    `removed` receives the path of each element removed (what the file gave and was refused)."""
    xsd = schema()
    seen: set[tuple] = set()
    emptied: list = []  # elements we removed a child from (kept alive: lxml proxies are recreated)
    dropped: list[tuple] = []  # (parent, name) of each element removed
    for _ in range(MAX_PASSES):
        if xsd.validate(formation):
            return
        acted = False
        gone: list[str] = []  # error paths removed in this pass: later errors there are the same element's
        for error in xsd.error_log:
            if any(error.path == p or error.path.startswith(p + "/") for p in gone):
                continue
            target = resolve(formation, error.path)
            if target is None:
                target = formation
            key = (error.line, error.path, error.message)
            if key in seen:
                continue
            seen.add(key)
            reason, action = french_reason(error.message, known)
            if action == "remove" and target is not formation and _reorder(target.getparent()):
                # a known element out of the schema's order: put the siblings back in order
                # rather than lose data; the order error is still reported
                name = etree.QName(target).localname
                reason = (f"élément « {name} » mal placé (ordre des éléments du schéma LHEO non respecté) : "
                          "éléments remis dans l'ordre et importés")
                report.add(error.line or target.sourceline, element_path(target), reason, numero, AVERTISSEMENT)
                acted = True
                continue
            if action == "keep" and any(target is e for e in emptied):
                continue  # consequence of a removal already reported
            if action == "remove" and _follows_a_removal(error.message, target, dropped):
                continue  # its mandatory predecessor was removed: the element itself is fine
            missing = _missing_before(error.message, target) if action == "remove" else None
            if missing:  # the element is fine, one the schema requires before it is not there
                where = (element_path(target.getparent()), missing)
                if where not in seen:
                    seen.add(where)
                    report.add(error.line or target.sourceline, where[0],
                               f"élément obligatoire manquant : {missing}", numero, AVERTISSEMENT)
                continue
            text = (target.text or "").strip()
            if action == "remove" and text and len(target) == 0 and "valeur «" not in reason:
                shown = text if len(text) <= 60 else text[:59] + "…"
                reason = reason.replace(" : élément ignoré", f" ; valeur « {shown} » : élément ignoré", 1)
            # what the schema refuses is left out (a rejet); a missing element only said
            report.add(error.line or target.sourceline, element_path(target), reason, numero,
                       AVERTISSEMENT if action == "keep" else REJET)
            if action == "remove" and target is not formation:
                parent = target.getparent()
                emptied.append(parent)
                dropped.append((parent, etree.QName(target).localname))
                gone.append(error.path)
                if removed is not None:
                    removed.add(element_path(target))
                parent.remove(target)
                acted = True
            elif action.startswith("attribute:"):
                target.attrib.pop(action.split(":", 1)[1], None)
                acted = True
            elif action == "text":
                target.text = None
                acted = True
        if not acted:
            return


_EXPECTED = re.compile(r"Expected is(?: one of)? \((.*)\)")


def _follows_a_removal(message: str, target, dropped: list[tuple]) -> bool:
    """"Not expected" only because the element the schema expects there was removed as invalid."""
    found = _EXPECTED.search(message)
    if "This element is not expected" not in message or found is None:
        return False
    expected = {name.strip().rsplit("}", 1)[-1] for name in found.group(1).split(",")}
    parent = target.getparent()
    return any(p is parent and name in expected for p, name in dropped)


def _missing_before(message: str, target) -> str | None:
    """The names the schema expected where `target` stands, when none of them is in its parent
    and `target` itself belongs there further on: a missing element, not a wrong one."""
    found = _EXPECTED.search(message)
    parent = target.getparent()
    if "This element is not expected" not in message or found is None or parent is None:
        return None
    expected = [name.strip().rsplit("}", 1)[-1] for name in found.group(1).split(",")]
    order = sequences().get(etree.QName(parent).localname) or ()
    present = {etree.QName(c).localname for c in parent if isinstance(c.tag, str)}
    name = etree.QName(target).localname
    if present & set(expected) or name not in order:
        return None
    if all(e in order and order.index(e) < order.index(name) for e in expected):
        return ", ".join(expected)
    return None


class CountingFile:
    """A binary file read through, counting the bytes handed to the parser (progress)."""

    def __init__(self, raw):
        self.raw = raw
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.bytes_read += len(data)
        return data


def formations(source, report: ImportReport) -> Iterator[tuple]:
    """Yield (<formation>, paths of the elements the schema refused and this removed) for each
    formation, schema-cleaned, in LHEO 2.3 tags; problems go to `report`. `source`: a path or a
    binary file object."""
    known = known_elements()
    for el in raw_formations(source, report):
        removed: set[str] = set()
        clean_formation(el, report, el.get("numero"), known, removed)
        yield el, removed
        forget(el)


def raw_formations(source, report: ImportReport) -> Iterator:
    """Each <formation> as the file gives it (LHEO 2.2 tags renamed to 2.3), not checked yet: the
    caller cleans it (clean_formation) when it reads it, and forgets it once done with it: it
    may hold a batch of them. An unreadable file ends the iteration with `report.fatal` set."""
    tags = [f"{{{NS}}}lheo", f"{{{NS_22}}}lheo", f"{{{NS}}}formation", f"{{{NS_22}}}formation"]
    context = etree.iterparse(source, events=("start", "end"), tag=tags, resolve_entities=False,
                              no_network=True, load_dtd=False, huge_tree=False, remove_comments=True)
    root_seen = False
    try:
        for event, el in context:
            local = etree.QName(el).localname
            if event == "start":
                if local == "lheo":
                    root_seen = True
                continue
            if local != "formation":
                continue
            if etree.QName(el).namespace == NS_22:
                _to_23(el)
            yield el
    except etree.XMLSyntaxError as exc:
        report.fatal = f"fichier XML mal formé (ligne {exc.lineno}) : {exc.msg}"
        report.add(exc.lineno, "/", "fichier XML mal formé : lecture interrompue à cette ligne")
        return
    if not root_seen:
        report.fatal = ("ce fichier n'est pas un document LHEO 2.2 ou 2.3 (élément racine <lheo> "
                        f"dans l'espace de noms {NS} ou {NS_22} attendu)")
        report.add(1, "/", report.fatal)


def forget(el) -> None:
    """Free a formation read (and those before it): memory stays flat whatever the file's size."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]
