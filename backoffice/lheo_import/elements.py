"""Reading one <formation> element: children, texts and values, remembering what was read.

`Tree` walks a schema-cleaned <formation> (backoffice.lheo_import.reader) and marks every element
it reads; `unread()` then lists the elements nobody read, which the parser reports: nothing the
file gives is dropped silently. Values are read leniently (a price "1 250,50 €", a language "FR")
and checked; a value that cannot be kept is reported under the formation's number, with its line
and path, and left out. Pure: lxml and the standard library, no database.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from lxml import etree

from ..export.lheo_format import FILLERS, NS, PartialDate, clean, parse_partial_date
from .report import AVERTISSEMENT, REJET, ImportReport, element_path

UNKNOWN_DATES = frozenset({"00000000", "99999999"})


class _Qualified(dict):
    """tag -> {NS}tag, filled on first use: a subscript is the cheapest look-up the parser can make."""

    def __missing__(self, tag: str) -> str:
        found = self[tag] = f"{{{NS}}}{tag}"
        return found


_QUALIFIED = _Qualified()


def q(tag: str) -> str:
    return _QUALIFIED[tag]


def local(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


@lru_cache(maxsize=8192)  # hours, prices and coordinates repeat across a feed; a Decimal is immutable
def decimal_value(text: str | None) -> Decimal | None:
    """'1 250,50 €' -> Decimal('1250.50'); None if it is not a finite number."""
    if text is None:
        return None
    value = "".join(text.replace("€", "").replace("EUR", "").split()).replace(",", ".")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number.copy_abs() if number == 0 else number  # "-0" is 0


@lru_cache(maxsize=16)
def _step(places: int) -> Decimal:
    """10^-places, the quantum of a number kept with `places` decimals."""
    return Decimal(1).scaleb(-places)


@lru_cache(maxsize=8192)  # session dates repeat across a feed; a PartialDate is frozen
def _partial_date(text: str) -> PartialDate | None:
    return parse_partial_date(text)


_LEAF: dict = {}  # the index of an element without children (never filled)


def _index(root) -> tuple[dict, dict]:
    """({element: {qualified tag: its first child of that tag}}, {(element, qualified tag): all its
    children of that tag, in document order, when there are several}) for every element of `root`
    that has children, in one walk (cheaper than one iteration per parent; most tags come once in
    their parent). A comment or processing instruction is keyed by its factory, which no tag asked
    for equals. The proxies stay the same objects while they are held here."""
    first: dict = {}
    more: dict = {}
    last = found = None
    nodes = root.iter()
    next(nodes)  # the root itself, nobody's child here
    for node in nodes:
        parent = node.getparent()
        if parent is not last:  # siblings come in a row but for their own descendants
            last = parent
            found = first.get(parent)
            if found is None:
                found = first[parent] = {}
        tag = node.tag
        earlier = found.setdefault(tag, node)
        if earlier is not node:
            group = more.get((parent, tag))
            if group is None:
                more[(parent, tag)] = [earlier, node]
            else:
                group.append(node)
    return first, more


class Tree:
    """One formation: its elements as read by the parser, and the problems found on the way."""

    def __init__(self, formation, report: ImportReport, numero: str | None, removed=frozenset()):
        self.root = formation
        self.report = report
        self.numero = numero
        self.removed = removed  # paths of the elements the schema refused (reader.clean_formation)
        self.seen: set = {formation}
        self.upstream: list[str] = []  # the earlier identifiers of its elements (parser_parts.upstream)
        # the children of each element by qualified tag: the parser asks for a child by name about
        # 160 times per formation, and a dict beats lxml's find() by a factor of ten; it asks for
        # the children of nearly every parent, so all are indexed at once (_index)
        self._first, self._more = _index(formation)

    def refused(self, parent, *path) -> bool:
        """Was `parent`/`path` given in the file and refused by the schema (then reported)?"""
        # nothing refused (the common case): no path to work out
        return bool(self.removed) and parent is not None and "/".join((element_path(parent), *path)) in self.removed

    # ------------------------------------------------------------ problems
    def reject(self, el, message: str) -> None:
        """Something the file gives was not imported."""
        el = self.root if el is None else el
        self.report.add(el.sourceline, element_path(el), message, self.numero, REJET)

    def warn(self, el, message: str) -> None:
        """Imported, but worth reading."""
        el = self.root if el is None else el
        self.report.add(el.sourceline, element_path(el), message, self.numero, AVERTISSEMENT)

    # ------------------------------------------------------------ elements
    def mark(self, el):
        if el is not None:
            self.seen.add(el)
        return el

    def kids(self, el, tag: str) -> list:
        """The children of `el` named `tag` (not marked), in document order: the index's own list
        when there are several (not a copy: no caller changes it)."""
        tag = _QUALIFIED[tag]
        found = self._more.get((el, tag))
        if found is not None:
            return found
        node = self._first.get(el, _LEAF).get(tag)
        return [] if node is None else [node]

    def child(self, el, *path):
        """The first descendant along `path` (marked as read), or None."""
        index = self._first
        for tag in path:
            if el is None:
                return None
            el = index.get(el, _LEAF).get(_QUALIFIED[tag])
            if el is None:
                return None
            self.seen.add(el)
        return el

    def consume(self, el) -> None:
        """`el` and everything in it read (an element rejected as a whole: reported once)."""
        if el is not None:
            self.seen.update(el.iter())

    def children(self, el, tag: str) -> list:
        """The children of `el` named `tag` (marked as read), in document order (as kids())."""
        if el is None:
            return []
        found = self.kids(el, tag)
        self.seen.update(found)
        return found

    def text(self, el, *path, limit: int | None = None, label: str | None = None) -> str | None:
        """The trimmed text of a descendant (control characters dropped), None when blank or a
        filler ("-", "Non renseigné"). Longer than `limit`: reported and left out."""
        if len(path) == 1:  # child(el, tag), inlined: a hundred calls per formation
            if el is None:
                return None
            node = self._first.get(el, _LEAF).get(_QUALIFIED[path[0]])
            if node is None:
                return None
            self.seen.add(node)
        else:
            node = self.child(el, *path) if path else self.mark(el)
        # value() is the one home of what a text is (trimmed, cleaned, fillers, length)
        return self.value(node, limit, label)

    def value(self, node, limit: int | None = None, label: str | None = None) -> str | None:
        if node is None:
            return None
        text = node.text  # lxml makes a new string at each access: read once
        if text is None:
            return None
        # clean() drops control characters, which a printable text has none of (the common case)
        value = (text.strip() or None) if text.isprintable() else clean(text)
        if value is None or value in FILLERS:
            return None
        if limit is not None and len(value) > limit:
            self.reject(node, f"{label or local(node)} : valeur trop longue ({len(value)} caractères, "
                              f"maximum {limit} dans la base) : valeur ignorée")
            return None
        return value

    def texts(self, el, tag: str) -> list[tuple[str, object]]:
        """(text, element) of each child `tag` that has a value."""
        found = []
        if el is None:
            return found
        seen = self.seen
        for node in self.kids(el, tag):
            seen.add(node)
            if (value := self.value(node)) is not None:
                found.append((value, node))
        return found

    def extras(self, el, info: str) -> dict[str, tuple[str, object]]:
        """{extra/@info: (text, element)} of the <extras info=...> children of `el` (marked read)."""
        found: dict[str, tuple[str, object]] = {}
        for block in (self.kids(el, "extras") if el is not None else ()):
            if block.get("info") != info:
                continue
            self.seen.add(block)
            for extra in self.kids(block, "extra"):
                name = extra.get("info")
                if not name or name in found:
                    continue
                text = extra.text
                if text is None:
                    continue
                # as value() does, without its fillers: clean() when there are control characters
                value = (text.strip() or None) if text.isprintable() else clean(text)
                if value is not None:
                    found[name] = (value, extra)
        return found

    def extra(self, found: dict, name: str, limit: int | None = None) -> str | None:
        """One value of `extras()`, marked read; too long: reported and left out."""
        if name not in found:
            return None
        value, node = found[name]
        self.mark(node)
        if limit is not None and len(value) > limit:
            self.reject(node, f"extra « {name} » : valeur trop longue ({len(value)} caractères, maximum {limit}) : "
                              "valeur ignorée")
            return None
        return value

    def unread(self) -> list:
        """The outermost elements of the formation that nothing read."""
        # `seen` holds nodes of this formation only: as many as it has, all were read (the common case)
        nodes = 1 + sum(map(len, self._first.values())) + sum(len(group) - 1 for group in self._more.values())
        if len(self.seen) == nodes:
            return []
        found = []
        for el in self.root.iter(etree.Element):  # elements only, filtered by lxml
            if el in self.seen:
                continue
            parent = el.getparent()
            if parent is None or parent in self.seen:
                found.append(el)
        return found

    # ------------------------------------------------------------ typed values
    def number(self, el, *path, low: Decimal, high: Decimal, label: str, places: int | None = None) -> Decimal | None:
        """A decimal between `low` and `high` (at most `places` decimals, else rounded)."""
        node = self.child(el, *path) if path else self.mark(el)
        text = self.value(node)
        if text is None:
            return None
        number = decimal_value(text)
        if number is None or not low <= number <= high:
            self.reject(node, f"{label} « {text} » : nombre attendu entre {low} et {high} : valeur ignorée")
            return None
        if places is not None:
            rounded = number.quantize(_step(places))
            if rounded != number:
                self.warn(node, f"{label} « {text} » arrondi à {rounded} (la base en garde {places} décimale(s))")
            number = rounded
        return number

    def integer(self, el, *path, low: int, high: int, label: str) -> int | None:
        node = self.child(el, *path) if path else self.mark(el)
        text = self.value(node)
        if text is None:
            return None
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            self.reject(node, f"{label} « {text} » : nombre entier attendu entre {low} et {high} : valeur ignorée")
            return None
        return int(text)

    def flag(self, el, *path) -> bool | None:
        """LHEO dict-boolean: '1' True, '0' False, absent None."""
        text = self.text(el, *path)
        return None if text is None else text == "1"

    def date(self, el, *path, label: str) -> PartialDate | None:
        """An LHEO date, possibly known to the month or the year only; unknown (00000000,
        99999999) or invalid: None (an invalid one is reported)."""
        node = self.child(el, *path) if path else self.mark(el)
        text = self.value(node)
        if text is None or text in UNKNOWN_DATES:
            return None
        parsed = _partial_date(text)
        if parsed is None:
            self.reject(node, f"{label} « {text} » : date invalide : valeur ignorée")
        return parsed
