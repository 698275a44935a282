"""The writing side of a batch (batch.py decides the way of each formation): the bulk formations
and the memory of the unchanged ones in one unit, then the ORM writer's formations one by one in
file order, the problems handed on and the progress told as formations are done.

On PostgreSQL (not strict) the unit is written by a thread while the next batch is read and
parsed: the database works on its core while Python parses on the other. The thread only
executes the statements planned here and commits; the main thread waits for it (settle) before
it touches the session again. A unit the database refuses is rolled back and its formations go
through the writer one by one, which reports the one refused.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import nullcontext

from flask import current_app, has_app_context
from sqlalchemy import text, update
from sqlalchemy.exc import SQLAlchemyError

from ..models import Action
from .bulk import Bulk
from .reader import forget

PROGRESS_EVERY = 20  # formations between two on_progress calls
# PostgreSQL plans the batch's look-ups on the tables' statistics: an import that doubles a table
# (the first import into a new base) analyses the tables it writes, or the look-ups of its last
# batches would read the whole table for each
ANALYZE_AFTER = 2000  # actions created since the last analysis, at least
ANALYZED = ("organisme", "adresse", "contact", "action", "session")


class Output:
    def __init__(self, session, report, writer, strict: bool, on_progress=None, threaded: bool = False):
        self.session, self.report, self.writer = session, report, writer
        self.strict, self.on_progress, self.threaded = strict, on_progress, threaded
        self.postgresql = session.get_bind().dialect.name == "postgresql"
        self.reported = 0  # formations done when on_progress was last called
        self.bytes_at: dict[int, int] = {}
        self.created = 0  # actions created since the tables were last analysed
        self.analysed_size = max(0, int(session.execute(text(
            "SELECT reltuples FROM pg_class WHERE oid = 'action'::regclass")).scalar() or 0)) if self.postgresql else 0
        self.pending: dict | None = None
        self.errors = (SQLAlchemyError, session.get_bind().dialect.dbapi.Error)  # COPY raises the driver's own
        # the app's session finds its engine through the app (Flask-SQLAlchemy): the thread works in it
        self.app = current_app._get_current_object() if has_app_context() else None

    def writing(self) -> bool:
        """Is a unit being written by the thread (then the session is not the main thread's)?"""
        return self.pending is not None and self.pending["thread"] is not None

    def abort(self) -> None:
        """Wait for a unit being written (before the session is rolled back on an error)."""
        if self.writing():
            self.pending["thread"].join()
        self.pending = None

    def track(self, items) -> None:
        for item in items:
            self.bytes_at[item.position] = item.bytes_read

    # ------------------------------------------------------------ the unit of a batch
    def start(self, items: list, bulk: Bulk | None) -> None:
        """Write the batch's bulk formations and unchanged memories (in a thread when allowed);
        its writer formations wait for settle()."""
        together = [i for i in items if i.way in ("bulk", "same")]
        self.pending = {"items": items, "together": together, "bulk": bulk, "error": None, "counts": Counter(),
                        "thread": None}
        if not together:
            return
        if self.threaded:
            thread = threading.Thread(target=self._write_in_app, name="lheo-import-write", daemon=True)
            self.pending["thread"] = thread
            thread.start()
        else:
            self._write()

    def _write_in_app(self) -> None:
        with self.app.app_context() if self.app is not None else nullcontext():
            self._write()

    def _write(self) -> None:
        pending = self.pending
        unit = self.session.begin_nested() if self.strict else None
        try:
            if self.postgresql and not self.strict:
                # the unit's commit does not wait for its WAL to reach the disk: a crash of the server
                # may lose the last units committed, which the import's report and progress then
                # overstate; the import is re-run (it is re-runnable: what was kept is skipped or
                # merged). The database stays consistent either way (PostgreSQL's synchronous_commit)
                self.session.execute(text("SET LOCAL synchronous_commit = off"))
            counts = pending["bulk"].write() if pending["bulk"] is not None else Counter()
            table = Action.__table__
            for item in pending["together"]:
                if item.way == "same" and item.extra["version"] != item.action["version_source"]:
                    self.session.execute(update(table).where(table.c.id == item.action["id"])
                                         .values(version_source=item.extra["version"]))
            if unit is not None:
                unit.commit()
            else:
                self.session.commit()
            pending["counts"] = counts
        except self.errors as exc:
            if unit is not None:
                unit.rollback()
            else:
                self.session.rollback()
            pending["error"] = exc

    def settle(self) -> set:
        """Finish the batch started last: wait for its unit, then its writer formations in file
        order; returns the formation numbers it wrote (what the next batch read before may miss)."""
        pending, self.pending = self.pending, None
        if pending is None:
            return set()
        if pending["thread"] is not None:
            pending["thread"].join()
        items = pending["items"]
        if pending["error"] is not None:
            for item in pending["together"]:  # each through the writer, which reports the one refused
                item.way = "orm"
        else:
            counts = pending["counts"]
            self.report.counts.update(counts)
            self.report.counts["actions_inchangees"] += sum(1 for i in pending["together"] if i.way == "same")
            self.analyse_when_grown(counts["actions_creees"])
        for item in items:
            if item.way == "orm":
                self.done(item.position)
                self.report.at(item.position)
                self.writer.write(item.data, item.resolved)
        self.done(items[-1].position + 1)
        forget(items[-1].element)
        for item in items:
            self.bytes_at.pop(item.position, None)
        return {item.numero for item in items if item.way in ("bulk", "same", "orm")}

    def analyse_when_grown(self, created: int) -> None:
        self.created += created
        if not self.postgresql or self.strict or self.created < max(ANALYZE_AFTER, self.analysed_size):
            return
        self.session.execute(text(f"ANALYZE {', '.join(ANALYZED)}"))
        self.session.commit()
        self.analysed_size += self.created
        self.created = 0

    # ------------------------------------------------------------ progress
    def done(self, upto: int) -> None:
        """The formations before `upto` are written: their problems go out, and the progress when
        another PROGRESS_EVERY formations are done."""
        self.report.release(upto)
        if self.on_progress is None:
            return
        mark = upto // PROGRESS_EVERY * PROGRESS_EVERY
        if mark > self.reported and mark - 1 in self.bytes_at:
            self.reported = mark
            self.on_progress(mark, self.bytes_at[mark - 1])
