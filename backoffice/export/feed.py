"""Whole LHEO documents, streamed: the full feed, the changes feed, one action.

A document is a generator of UTF-8 chunks, one formation rendered at a time (memory holds one
chunk, whatever the size of the base). LHEO has no element for a deletion and requires at
least one <formation>, so the changes feed lists its withdrawals in a root-level
<extras info="retraits"> and, when nothing but withdrawals happened, is a <retraits> document
of its own (namespace RETRAITS_NS, documented in backoffice/export/README.md).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from xml.sax.saxutils import quoteattr

from .lheo import render_formation
from .lheo_format import LIMITS, NS, clean
from .xmltext import node as _node
from .xmltext import serialize as _serialize
from .xmltext import sub as _sub

HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="{NS}">\n  <offres>\n'
RETRAITS_NS = "urn:dokelio:lheo:retraits:1"


def write_feed(out, offers: Iterable[dict], meta: Iterable[tuple[str, str]] = (),
               retraits: Callable[[], list] | None = None) -> int:
    """Write a whole LHEO document to a binary file-like `out`; returns the number of formations.

    The caller makes sure `offers` is not empty: LHEO requires at least one <formation>.
    """
    stats: dict[str, int] = {}
    for chunk in iter_feed(offers, meta, retraits, stats=stats):
        out.write(chunk)
    return stats["formations"]


def iter_feed(offers: Iterable[dict], meta: Iterable[tuple[str, str]] = (),
              retraits: Callable[[], list] | None = None, chunk_size: int = 1 << 16,
              stats: dict | None = None) -> Iterator[bytes]:
    """The LHEO document as UTF-8 chunks of about `chunk_size`.

    `meta` (name, value) pairs go in a root-level <extras info="flux">; `retraits()`, called once
    the offers are written, gives the withdrawals (changes.Retrait) of a changes feed, written in
    <extras info="retraits">. `stats["formations"]` receives the count at the end.
    """
    parts: list[str] = [HEAD]
    count = 0
    # a chunk is about chunk_size characters: a formation's lines average ~40 of them, so the
    # number of parts tells when to look at the real size (summing lengths per formation costs)
    check_every = max(chunk_size // 40, 1)
    next_check = check_every
    for offer in offers:
        _serialize(render_formation(offer), parts, "    ")
        count += 1
        if len(parts) >= next_check:
            if sum(map(len, parts)) >= chunk_size:
                yield "".join(parts).encode("utf-8")
                parts, next_check = [], check_every
            else:
                next_check = len(parts) + check_every // 4
    parts.append("  </offres>\n")
    meta = [(k, v) for k, v in meta if v]
    if meta:
        _serialize(_extras_node("flux", [(k, v, {}) for k, v in meta]), parts, "  ")
    withdrawn = retraits() if retraits is not None else []
    if withdrawn:
        # <extra info="formation" ref="motif">AF_...</extra>; a session's formation in @numero
        _serialize(_extras_node("retraits", [(r.type, r.numero, {"ref": r.motif, **({"numero": r.formation}
                                                                                      if r.formation else {})})
                                             for r in withdrawn]), parts, "  ")
    parts.append("</lheo>\n")
    if stats is not None:
        stats["formations"] = count
    yield "".join(parts).encode("utf-8")


def _extras_node(info: str, values) -> list:
    extras = _node("extras", {"info": info})
    for name, value, attrs in values:
        _sub(extras, "extra", clean(value, LIMITS["extra"]), info=name, **attrs)
    return extras


def render_document(offers: Iterable[dict], meta: Iterable[tuple[str, str]] = ()) -> bytes:
    """A whole (small) document in memory: the fiche export and the tests."""
    return b"".join(iter_feed(offers, meta))


def render_retraits(retraits: list, meta: Iterable[tuple[str, str]] = ()) -> bytes:
    """The changes feed when nothing but withdrawals happened (possibly none at all):
    <retraits xmlns="urn:dokelio:lheo:retraits:1" depuis=... depuis-suivant=...> with one
    <formation numero motif/> or <session numero formation motif/> per withdrawal."""
    attrs = "".join(f" {name}={quoteattr(str(value))}" for name, value in meta if value)
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<retraits xmlns="{RETRAITS_NS}"{attrs}>\n']
    for r in retraits:
        parent = f" formation={quoteattr(r.formation)}" if r.formation else ""
        lines.append(f"  <{r.type} numero={quoteattr(r.numero)}{parent} motif={quoteattr(r.motif)}/>\n")
    lines.append("</retraits>\n")
    return "".join(lines).encode("utf-8")
