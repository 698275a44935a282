"""The job of an uploaded LHEO file, and the periodic pick-up of the imports no job is running.

`run_import(import_id)` marks the import en_cours, runs backoffice.lheo_import.import_lheo on
the stored file, writes its progress (bytes read, formations read) and its problems (in
batches) in short transactions of their own, then its counts and statut termine, or echec
with a French message. It may run twice: a finished import is left alone; one left en_cours
by a killed worker starts again from the beginning (the import is a merge: a re-run changes
only what differs) after its old problems are cleared. Two runs of one import never overlap:
each holds a lock for its whole run (a PostgreSQL advisory lock on a connection of its own, or
an flock beside the file on SQLite), released by the system if the process dies.

`resume_imports` (every minute, jobs/schedule.py; and the embedded runner) hands again to a
job every import en_attente or en_cours that nobody runs and that Redis does not hold: an
upload made while Redis was down, a run whose worker was killed.
"""
from __future__ import annotations

import fcntl
import json
import logging
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import scoped_session

from backoffice.extensions import db
from backoffice.lheo_import import import_lheo
from backoffice.models import ImportLheo, ImportLheoProbleme
from backoffice.models.listeners import utcnow
from backoffice.services import lheo_imports as service

from . import runtime

log = logging.getLogger("jobs")

PROGRESS_SECONDS = 1.0  # at most one progress write per second
PROBLEM_BATCH = 500
LOCK_NAMESPACE = 0x4C48454F  # "LHEO": pg_try_advisory_lock(namespace, import id)
# an import first started this long ago and still not finished is given up (a file that kills
# its worker every time would otherwise be started again forever)
GIVE_UP_AFTER = timedelta(hours=24)

MISSING_FILE = "Le fichier importé est introuvable sur le serveur : importez-le de nouveau."
CRASHED = ("L'import s'est arrêté sur une erreur inattendue : relancez-le, ou transmettez le fichier à "
           "l'équipe technique.")
INTERRUPTED = ("L'import a été interrompu plusieurs fois (arrêt du serveur de traitement) sans pouvoir se terminer : "
               "relancez-le ou transmettez le fichier à l'équipe technique.")
FATAL = "L'import s'est arrêté : {}"
NOTHING_WRITTEN = ("Mode strict : rien n'a été écrit, car le fichier contient au moins un élément rejeté. "
                   "Corrigez les rejets ci-dessous, puis importez le fichier de nouveau.")


# ---------------------------------------------------------------- one run at a time

class RunLock:
    """Held by the run of one import; any process may ask whether it is free."""

    def __init__(self, import_id: int, settings: service.ImportSettings):
        self.import_id, self.settings = import_id, settings
        self._connection = None
        self._file = None

    def acquire(self) -> bool:
        if runtime.dialect(db.session) == "postgresql":
            connection = db.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:ns, :id)"),
                                     {"ns": LOCK_NAMESPACE, "id": self.import_id}).scalar()
            connection.commit()  # a session-level lock: no transaction left open for hours
            if got:
                self._connection = connection
            else:
                connection.close()
            return bool(got)
        self.settings.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.settings.folder / f"import-{self.import_id}.lock", "a")  # noqa: SIM115 - held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:ns, :id)"),
                                         {"ns": LOCK_NAMESPACE, "id": self.import_id})
                self._connection.commit()
            finally:  # a lost connection released the lock with it
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


@contextmanager
def holding(import_id: int, settings: service.ImportSettings):
    lock = RunLock(import_id, settings)
    got = lock.acquire()
    try:
        yield got
    finally:
        if got:
            lock.release()


def is_running(import_id: int, settings: service.ImportSettings) -> bool:
    with holding(import_id, settings) as free:
        return not free


# ---------------------------------------------------------------- progress and problems

def _sqlite_import_writing(session) -> bool:
    """Has the import's own transaction written on SQLite (one writer per database)? A second
    connection writing now would wait for it, in this very thread: for ever."""
    session = session() if isinstance(session, scoped_session) else session
    if runtime.dialect(session) != "sqlite" or not session.in_transaction():
        return False
    return bool(getattr(session.connection().connection.dbapi_connection, "in_transaction", False))


class Tracker:
    """Receives the import's problems and progress; writes them through a connection of its own,
    so that the page sees them while the import's own transaction is open.

    Writes happen only between formations (on_progress) and at the end. On SQLite, a strict
    import is one transaction: its progress and problems wait for its end there."""

    def __init__(self, import_id: int, session=None):
        self.import_id, self.session = import_id, session
        self.buffer: list[dict] = []
        self.rejets = self.avertissements = 0
        self.formations = self.bytes_read = 0
        self.last_write = 0.0

    def problem(self, problem) -> None:
        gravite = problem.gravite if problem.gravite in service.GRAVITES else "rejet"
        if gravite == "rejet":
            self.rejets += 1
        else:
            self.avertissements += 1
        self.buffer.append({"import_id": self.import_id, "ligne": problem.line, "chemin": (problem.path or "/")[:300],
                            "formation": (problem.formation or None) and str(problem.formation)[:100],
                            "gravite": gravite, "message": problem.message or ""})

    def progress(self, formations_read: int, bytes_read: int) -> None:
        self.formations, self.bytes_read = formations_read, bytes_read
        due = len(self.buffer) >= PROBLEM_BATCH or time.monotonic() - self.last_write >= PROGRESS_SECONDS
        if due and not (self.session is not None and _sqlite_import_writing(self.session)):
            self.write()

    def write(self, **final) -> None:
        """Problems so far, then the counters (and the final state, if given), in one transaction."""
        values = {"octets_lus": self.bytes_read, "rejets": self.rejets, "avertissements": self.avertissements,
                  "compteurs": json.dumps({"formations_lues": self.formations}), **final}
        with db.engine.begin() as connection:
            if self.buffer:
                connection.execute(insert(ImportLheoProbleme), self.buffer)
            # only while it runs: a run that lost its lock (never expected) cannot rewrite a finished import
            where = [ImportLheo.id == self.import_id]
            if not final:
                where.append(ImportLheo.statut == "en_cours")
            connection.execute(update(ImportLheo).where(*where).values(**values))
        self.buffer.clear()
        self.last_write = time.monotonic()

    def finish(self, statut: str, counts: dict | None, message: str | None) -> None:
        compteurs = dict(counts) if counts is not None else {"formations_lues": self.formations}
        self.write(statut=statut, message=message, finished_at=utcnow(),
                   compteurs=json.dumps(compteurs, ensure_ascii=False, sort_keys=True))


# ---------------------------------------------------------------- the job

def run_import(import_id: int) -> dict:
    """Run one uploaded import to its end (see the module's docstring)."""
    with runtime.app_context() as app:
        settings = service.ImportSettings.from_config(app.config)
        db.session.rollback()  # a clean transaction, whatever the caller left
        with holding(int(import_id), settings) as got:
            if not got:
                return {"import": import_id, "statut": "deja_en_cours"}
            return _run(int(import_id), settings)


def _start(import_id: int) -> ImportLheo | None:
    """en_attente / en_cours -> en_cours, the problems of an interrupted run cleared; None if finished."""
    session = db.session
    row = session.get(ImportLheo, import_id, populate_existing=True)
    if row is None or row.statut in service.FINISHED:
        return None
    session.execute(delete(ImportLheoProbleme).where(ImportLheoProbleme.import_id == import_id))
    row.statut, row.started_at, row.finished_at = "en_cours", row.started_at or utcnow(), None
    row.octets_lus, row.rejets, row.avertissements, row.compteurs, row.message = 0, 0, 0, None, None
    session.commit()
    return row


def _run(import_id: int, settings: service.ImportSettings) -> dict:
    row = _start(import_id)
    if row is None:
        statut = db.session.scalar(select(ImportLheo.statut).where(ImportLheo.id == import_id))
        return {"import": import_id, "statut": statut or "introuvable"}
    source, strict, hors_perimetre, size = row.source, row.strict, row.hors_perimetre, row.taille or 0
    path = service.stored_path(settings, row.fichier_chemin)
    tracker = Tracker(import_id, db.session)
    if path is None:
        tracker.finish("echec", None, MISSING_FILE)
        return {"import": import_id, "statut": "echec"}
    try:
        report = import_lheo(str(path), source, session=db.session, on_problem=tracker.problem, keep=0,
                             strict=strict, hors_perimetre=hors_perimetre, on_progress=tracker.progress)
    except Exception:
        db.session.rollback()
        log.exception("import LHEO %s en échec", import_id)
        tracker.finish("echec", None, CRASHED)
        return {"import": import_id, "statut": "echec"}
    db.session.rollback()  # the import commits what it keeps; nothing else may be left open
    tracker.bytes_read = max(tracker.bytes_read, size)
    statut = "echec" if report.fatal else "termine"
    message = FATAL.format(report.fatal) if report.fatal else None if report.written else NOTHING_WRITTEN
    tracker.finish(statut, dict(report.counts), message)
    log.info("import LHEO %s : %s", import_id, " ; ".join(report.summary()))
    return {"import": import_id, "statut": statut, **dict(report.counts)}


# ---------------------------------------------------------------- the periodic pick-up

def _redis_jobs(settings: service.ImportSettings):
    """The queue's connection, once a killed worker's job has been declared dead (RQ does it when
    the job's heartbeat has expired, on this cleanup or a worker's maintenance)."""
    from rq import Queue
    from rq.registry import StartedJobRegistry

    from backoffice.services.queue import redis_connection

    connection = redis_connection(settings.redis_url)
    StartedJobRegistry(queue=Queue(settings.queue_name or "default", connection=connection)).cleanup()
    return connection


def _held_by_redis(import_id: int, connection) -> bool:
    """Does RQ still own this import's job (waiting, or started by a worker not yet declared dead)?

    A job that failed, was stopped or is finished is deleted, so that it can be enqueued again."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        job = Job.fetch(service.job_id(import_id), connection=connection)
    except NoSuchJobError:
        return False
    if job.get_status(refresh=True) in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED,
                                        JobStatus.DEFERRED):
        return True
    job.delete()
    return False


def resume_imports(now: datetime | None = None) -> dict:
    """Hand again to a job every waiting or interrupted import that nothing runs or holds."""
    def work(session, day, started) -> dict:
        from redis.exceptions import RedisError
        app = current_app._get_current_object()
        settings = service.ImportSettings.from_config(app.config)
        moment = now or started
        rows = session.execute(select(ImportLheo.id, ImportLheo.statut, ImportLheo.started_at)
                               .where(ImportLheo.statut.in_(service.PENDING)).order_by(ImportLheo.id)).all()
        session.commit()
        resumed, abandoned, connection = [], [], None
        for import_id, statut, started_at in rows:
            if is_running(import_id, settings):
                continue
            if statut == "en_cours" and started_at is not None and moment - started_at > GIVE_UP_AFTER:
                session.execute(update(ImportLheo).where(ImportLheo.id == import_id, ImportLheo.statut == "en_cours")
                                .values(statut="echec", message=INTERRUPTED, finished_at=utcnow()))
                session.commit()
                abandoned.append(import_id)
                continue
            try:
                if settings.redis_url:
                    connection = connection or _redis_jobs(settings)
                    if _held_by_redis(import_id, connection):
                        continue
            except (RedisError, OSError) as exc:
                return {"relances": resumed, "abandonnes": abandoned, "status": "failed",
                        "erreur": f"Redis injoignable : {exc}"}
            if service.dispatch(app, import_id, settings):
                resumed.append(import_id)
        return {"relances": resumed, "abandonnes": abandoned}
    # not exclusive: two passes at once are harmless (a unique job id, the run's own lock)
    return runtime.run_recorded("resume_lheo_imports", None, work, exclusive=False)
