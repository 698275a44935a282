"""Import of LHEO 2.2 / 2.3 feeds (an organisme's system, another Carif-Oref).

`import_lheo(file, source)` reads the file one formation at a time (reader), reports every
rejected element with its line, path and a French reason (report), turns each formation into
plain data (parser) and writes it, matched on (source, identifiant externe) (writer).
"""
from __future__ import annotations

from ..actor import Actor, acting_as
from .parser import Parser
from .reader import formations
from .report import ImportReport, Problem
from .writer import IMPORT_ACTOR, Writer

MAX_SOURCE_LENGTH = 60  # action.source / organisme.source


def import_lheo(source_file, source: str, session=None, actor: Actor = IMPORT_ACTOR,
                on_problem=None, keep: int | None = None) -> ImportReport:
    """Import an LHEO file (path or binary file object) under the name `source`.

    Commits formation by formation; returns the report (counts and problems). `on_problem` is
    called with each problem as it is found; `keep` bounds how many the report holds.
    """
    source = (source or "").strip()
    if not source or len(source) > MAX_SOURCE_LENGTH:
        raise ValueError(f"Le nom de la source est obligatoire ({MAX_SOURCE_LENGTH} caractères au plus).")
    if session is None:
        from ..extensions import db
        session = db.session
    report = ImportReport(source, on_problem=on_problem, keep=keep)
    with acting_as(actor):
        writer = Writer(session, source, report)
        for element in formations(source_file, report):
            report.counts["formations_lues"] += 1
            data = Parser(report, element.get("numero")).formation(element)
            if data is None:
                report.counts["formations_rejetees"] += 1
                continue
            writer.write(data)
    return report


__all__ = ["import_lheo", "ImportReport", "Problem", "IMPORT_ACTOR"]
