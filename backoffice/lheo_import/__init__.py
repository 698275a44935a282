"""Import of LHEO 2.2 / 2.3 feeds (an organisme's system, another Carif-Oref): keeps what it is given.

`import_lheo(file, source)` reads the file one formation at a time (reader: streaming, schema
checks), turns each formation into plain data (parser, no database), checks it against the
referentials and the perimeter (resolve) and merges it into the base (writer), matched on the
feed's own identifiers under `source`. Every element left out is reported with its line, its path,
the formation's number and a French reason (report).

Modules: reader -> parser (elements, parser_parts, parser_sessions) -> resolve (refs) -> writer
(writer_records, merge).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..actor import Actor, acting_as
from .parser import Parser
from .reader import CountingFile, formations
from .report import AVERTISSEMENT, REJET, ImportReport, Problem
from .writer import IMPORT_ACTOR, Writer

MAX_SOURCE_LENGTH = 60  # action.source / organisme.source
PROGRESS_EVERY = 20  # formations between two on_progress calls


def import_lheo(source_file, source: str, session=None, actor: Actor = IMPORT_ACTOR,
                on_problem: Callable[[Problem], None] | None = None, keep: int | None = None,
                strict: bool = False, hors_perimetre: bool = False,
                on_progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import an LHEO file (a path or a binary file object) under the name `source`.

    - `session`: the SQLAlchemy session (default: the app's);
    - `actor`: the author of the history rows and "Dernier utilisateur" (default "Import LHEO");
      the workflow sees the import itself (workflow.Actor.IMPORT) whoever started it;
    - `on_problem(problem)`: called with each problem as it is found; `keep`: how many problems
      the report holds (None: all; 0 with on_problem for big files: memory does not grow);
    - `strict`: all or nothing: one transaction, committed only if no element was rejected;
      otherwise each formation is committed on its own;
    - `hors_perimetre`: sessions whose place is outside Ile-de-France are accepted (a feed the
      Carif-Oref chose to diffuse);
    - `on_progress(formations_read, bytes_read)`: called every few formations and at the end.
    The callbacks must write through a connection of their own, never through `session`: the
    import commits or rolls it back formation by formation (strict: once, at the end).
    Raises ValueError (French message) for a missing or too long source name.
    """
    source = (source or "").strip()
    if not source or len(source) > MAX_SOURCE_LENGTH:
        raise ValueError(f"Le nom de la source est obligatoire ({MAX_SOURCE_LENGTH} caractères au plus).")
    if session is None:
        from ..extensions import db
        session = db.session
    report = ImportReport(source, on_problem=on_problem, keep=keep)
    opened = open(source_file, "rb") if isinstance(source_file, str | Path) else None  # noqa: SIM115
    stream = CountingFile(opened or source_file)
    try:
        with acting_as(actor):
            writer = Writer(session, source, report, hors_perimetre=hors_perimetre, strict=strict)
            read = 0
            for element, removed in formations(stream, report):
                read += 1
                report.counts["formations_lues"] += 1
                data = Parser(report, element.get("numero"), removed).formation(element)
                if data is None:
                    report.counts["formations_rejetees"] += 1
                else:
                    writer.write(data)
                if on_progress is not None and read % PROGRESS_EVERY == 0:
                    on_progress(read, stream.bytes_read)
            finish(session, report, strict)
    except BaseException:
        session.rollback()
        raise
    finally:
        if opened is not None:
            opened.close()
    if on_progress is not None:
        on_progress(report.counts["formations_lues"], stream.bytes_read)
    return report


def finish(session, report: ImportReport, strict: bool) -> None:
    """End of the file: a strict import is committed only if nothing was rejected (nor the file
    unreadable); otherwise each formation was committed already."""
    if not strict:
        session.commit()
        return
    if report.rejets or report.fatal:
        session.rollback()
        report.written = False
    else:
        session.commit()


__all__ = ["import_lheo", "ImportReport", "Problem", "IMPORT_ACTOR", "REJET", "AVERTISSEMENT"]
