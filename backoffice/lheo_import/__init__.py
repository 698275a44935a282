"""Import of LHEO 2.2 / 2.3 feeds (an organisme's system, another Carif-Oref): keeps what it is given.

`import_lheo(file, source)` reads the file in a stream, a batch of formations at a time (reader;
batch): each formation is checked against the schema and turned into plain data (parser, no
database), checked against the referentials and the perimeter (resolve) and merged into the base,
matched on the feed's own identifiers under `source`: new formations in bulk (bulk), changes by
the ORM writer (writer), formations given exactly as last time skipped (unchanged). Every element
left out is reported with its line, its path, the formation's number and a French reason (report).

Modules: reader -> parser (elements, parser_parts, parser_sessions) -> batch (lookups) -> resolve
(refs) -> bulk | writer (writer_records, merge) | unchanged.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import scoped_session

from ..actor import Actor, acting_as
from ..collector import fewer_collections
from .batch import Batches, Item
from .batch_write import PROGRESS_EVERY
from .reader import CountingFile, raw_formations
from .report import AVERTISSEMENT, REJET, ImportReport, Problem
from .writer import IMPORT_ACTOR, Writer

MAX_SOURCE_LENGTH = 60  # action.source / organisme.source
BATCH_SIZE = 250  # formations read before the base is asked about them: memory stays flat


def import_lheo(source_file, source: str, session=None, actor: Actor = IMPORT_ACTOR,
                on_problem: Callable[[Problem], None] | None = None, keep: int | None = None,
                strict: bool = False, hors_perimetre: bool = False,
                on_progress: Callable[[int, int], None] | None = None, batch_size: int = BATCH_SIZE,
                bulk: bool = True) -> ImportReport:
    """Import an LHEO file (a path or a binary file object) under the name `source`.

    - `session`: the SQLAlchemy session (default: the app's);
    - `actor`: the author of the history rows and "Dernier utilisateur" (default "Import LHEO");
      the workflow sees the import itself (workflow.Actor.IMPORT) whoever started it;
    - `on_problem(problem)`: called with each problem, in file order; `keep`: how many problems
      the report holds (None: all; 0 with on_problem for big files: memory does not grow);
    - `strict`: all or nothing: one transaction, committed only if no element was rejected;
      otherwise what is written is committed as it goes (a batch of new formations at once,
      another formation on its own);
    - `hors_perimetre`: sessions whose place is outside Ile-de-France are accepted (a feed the
      Carif-Oref chose to diffuse, its own export included);
    - `on_progress(formations_done, bytes_read)`: called every PROGRESS_EVERY formations and at the end;
    - `batch_size`: formations read, looked up and written together (batch.py); `bulk=False`
      sends every formation through the ORM writer (the reference the bulk path is tested against).
    The callbacks must write through a connection of their own, never through `session`: the
    import commits or rolls it back as it goes (strict: once, at the end).
    Raises ValueError (French message) for a missing or too long source name.
    """
    source = (source or "").strip()
    if not source or len(source) > MAX_SOURCE_LENGTH:
        raise ValueError(f"Le nom de la source est obligatoire ({MAX_SOURCE_LENGTH} caractères au plus).")
    if session is None:
        from ..extensions import db
        session = db.session
    if isinstance(session, scoped_session):
        session = session()  # the session itself: a batch's writing thread has no app context
    report = ImportReport(source, on_problem=on_problem, keep=keep)
    opened = open(source_file, "rb") if isinstance(source_file, str | Path) else None  # noqa: SIM115
    stream = CountingFile(opened or source_file)
    batches = None
    try:
        with acting_as(actor), fewer_collections():
            writer = Writer(session, source, report, hors_perimetre=hors_perimetre, strict=strict)
            batches = Batches(session, source, report, writer, hors_perimetre, strict, on_progress, bulk=bulk)
            items: list[Item] = []
            report.hold()
            for element in raw_formations(stream, report):
                position = report.counts["formations_lues"]
                report.counts["formations_lues"] += 1
                items.append(Item(position, element, stream.bytes_read, element.get("numero")))
                if len(items) >= batch_size:
                    batches.run(items)
                    items = []
                report.at(position + 1)  # what the reader finds next is the next formation's
            if items:
                batches.run(items)
            batches.close()
            report.release()
            report.held = None
            finish(session, report, strict)
    except BaseException:
        if batches is not None:
            batches.abort()
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


__all__ = ["import_lheo", "ImportReport", "Problem", "IMPORT_ACTOR", "REJET", "AVERTISSEMENT", "PROGRESS_EVERY"]
