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


class Tree:
    """One formation: its elements as read by the parser, and the problems found on the way."""

    def __init__(self, formation, report: ImportReport, numero: str | None, removed=frozenset()):
        self.root = formation
        self.report = report
        self.numero = numero
        self.removed = removed  # paths of the elements the schema refused (reader.clean_formation)
        self.seen: set = {formation}
        self.upstream: list[str] = []  # the earlier identifiers of its elements (parser_parts.upstream)
        # element -> {qualified tag: its children of that tag}: the parser asks for a child by name
        # about 160 times per formation, and a dict beats lxml's find() by a factor of ten; filled
        # per parent when first asked (most elements are leaves nobody asks the children of)
        self._kids: dict = {}

    def refused(self, parent, *path) -> bool:
        """Was `parent`/`path` given in the file and refused by the schema (then reported)?"""
        return parent is not None and "/".join((element_path(parent), *path)) in self.removed

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

    def _index(self, el) -> dict:
        """{qualified tag: the children of `el` of that tag}, read once (a parent's proxy stays the
        same object while it is a key here). A comment or processing instruction is keyed by its
        factory, which no tag asked for equals."""
        found: dict = {}
        for node in el:
            tag = node.tag
            if tag in found:
                found[tag].append(node)
            else:
                found[tag] = [node]
        self._kids[el] = found
        return found

    def kids(self, el, tag: str) -> list:
        """The children of `el` named `tag` (not marked), in document order."""
        found = self._kids.get(el)
        if found is None:
            found = self._index(el)
        return found.get(_QUALIFIED[tag], ())

    def child(self, el, *path):
        """The first descendant along `path` (marked as read), or None."""
        index = self._kids
        for tag in path:
            if el is None:
                return None
            found = index.get(el)
            if found is None:
                found = self._index(el)
            found = found.get(_QUALIFIED[tag])
            if not found:
                return None
            el = found[0]
            self.seen.add(el)
        return el

    def consume(self, el) -> None:
        """`el` and everything in it read (an element rejected as a whole: reported once)."""
        if el is not None:
            self.seen.update(el.iter())

    def children(self, el, tag: str) -> list:
        if el is None:
            return []
        found = list(self.kids(el, tag))
        self.seen.update(found)
        return found

    def text(self, el, *path, limit: int | None = None, label: str | None = None) -> str | None:
        """The trimmed text of a descendant (control characters dropped), None when blank or a
        filler ("-", "Non renseigné"). Longer than `limit`: reported and left out."""
        if len(path) == 1:  # child(el, tag), inlined: a hundred calls per formation
            if el is None:
                return None
            found = self._kids.get(el)
            if found is None:
                found = self._index(el)
            found = found.get(_QUALIFIED[path[0]])
            if not found:
                return None
            node = found[0]
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
        for node in self.children(el, tag):
            value = self.value(node)
            if value is not None:
                found.append((value, node))
        return found

    def extras(self, el, info: str) -> dict[str, tuple[str, object]]:
        """{extra/@info: (text, element)} of the <extras info=...> children of `el` (marked read)."""
        found: dict[str, tuple[str, object]] = {}
        for block in (self.kids(el, "extras") if el is not None else ()):
            if block.get("info") != info:
                continue
            self.mark(block)
            for extra in self.kids(block, "extra"):
                value = clean(extra.text)
                if extra.get("info") and value is not None and extra.get("info") not in found:
                    found[extra.get("info")] = (value, extra)
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
            rounded = number.quantize(Decimal(1).scaleb(-places))
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
        parsed = parse_partial_date(text)
        if parsed is None:
            self.reject(node, f"{label} « {text} » : date invalide : valeur ignorée")
        return parsed
