"""Read an LHEO file one <formation> at a time, checked against the LHEO 2.3 schema.

Streaming: lxml.iterparse hands over each <formation> when it ends; once processed it is
cleared and detached, so memory does not grow with the file. External entities, DTDs and
network access are disabled (XXE).

Each formation is validated on its own (LHEO 2.2 tags are renamed to 2.3 first: 2.3 only adds
to 2.2). Every schema error is reported (line, path, French reason) and the faulty element is
removed, then the formation is validated again, since libxml2 stops checking an element's
content at its first error; "missing child" errors caused by our own removals are not
reported twice. What is left is valid data for the parser.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from ..export.lheo_format import NS, NS_22, XSD_PATH, schema
from .report import ImportReport, element_path, french_reason

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


def clean_formation(formation, report: ImportReport, numero: str | None, known: frozenset[str]) -> None:
    """Validate, report and remove the faulty elements until the formation is schema-valid."""
    xsd = schema()
    seen: set[tuple] = set()
    emptied: list = []  # elements we removed a child from (kept alive: lxml proxies are recreated)
    for _ in range(MAX_PASSES):
        if xsd.validate(formation):
            return
        acted = False
        for error in xsd.error_log:
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
                report.add(error.line or target.sourceline, element_path(target), reason, numero)
                acted = True
                continue
            if action == "keep" and any(target is e for e in emptied):
                continue  # consequence of a removal already reported
            text = (target.text or "").strip()
            if action == "remove" and text and len(target) == 0 and "valeur «" not in reason:
                shown = text if len(text) <= 60 else text[:59] + "…"
                reason = reason.replace(" : élément ignoré", f" ; valeur « {shown} » : élément ignoré", 1)
            report.add(error.line or target.sourceline, element_path(target), reason, numero)
            if action == "remove" and target is not formation:
                parent = target.getparent()
                emptied.append(parent)
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


def formations(source, report: ImportReport) -> Iterator:
    """Yield each <formation>, schema-cleaned, in LHEO 2.3 tags; problems go to `report`."""
    tags = [f"{{{NS}}}lheo", f"{{{NS_22}}}lheo", f"{{{NS}}}formation", f"{{{NS_22}}}formation"]
    known = known_elements()
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
            numero = el.get("numero")
            if etree.QName(el).namespace == NS_22:
                _to_23(el)
            clean_formation(el, report, numero, known)
            yield el
            el.clear(keep_tail=False)
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        report.fatal = f"fichier XML mal formé (ligne {exc.lineno}) : {exc.msg}"
        report.add(exc.lineno, "/", "fichier XML mal formé : lecture interrompue "
                   "(les formations précédentes ont été importées)")
        return
    if not root_seen:
        report.fatal = ("ce fichier n'est pas un document LHEO 2.2 ou 2.3 (élément racine <lheo> "
                        f"dans l'espace de noms {NS} ou {NS_22} attendu)")
        report.add(1, "/", report.fatal)
