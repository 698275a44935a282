"""What every job needs when it runs: an app context, "today", a lock and a job_run row.

Nothing here runs at import: an RQ worker imports the job modules, and the first job run in
a process builds the Flask app (create_app(), configured from the environment) unless the
worker setup or the caller already provided one (set_app, or an active app context: the
CLI and the tests).
"""
from __future__ import annotations

import gc
import json
import logging
import os
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from backoffice.actor import ROBOT, acting_as
from backoffice.extensions import db
from backoffice.logging_setup import configure_logging, request_id_bound
from backoffice.models import JobRun
from backoffice.models.listeners import utcnow

log = logging.getLogger("jobs")
PARIS = ZoneInfo("Europe/Paris")
RUNS_KEPT = timedelta(days=90)  # job_run rows kept this long (purged by jobs/housekeeping.py)

_app: Flask | None = None
_app_pid: int | None = None  # the process whose engine pool the app's connections belong to


def set_app(app: Flask | None) -> None:
    """Let a worker setup (or a test) choose the app the jobs of this process run in."""
    global _app, _app_pid
    _app, _app_pid = app, os.getpid()


def preload() -> Flask:
    """Build the process's app now (a worker, before it forks its job processes)."""
    configure_logging()  # before the app is built: its own lines are formatted too
    if _app is None:
        from backoffice import create_app
        set_app(create_app())
    with _app.app_context():
        db.engine.dispose()  # no connection may be shared with the forked children
    gc.freeze()  # as wsgi.py: the app lives as long as the worker, its objects need no more scans
    return _app


@contextmanager
def app_context() -> Iterator[Flask]:
    """The caller's app context if there is one, else the process's app (built once)."""
    global _app_pid
    if has_app_context():
        yield current_app._get_current_object()
        return
    app = preload() if _app is None else _app
    with app.app_context():
        if _app_pid != os.getpid():  # a fork of the worker: drop the parent's pooled connections
            db.engine.dispose(close=False)
            _app_pid = os.getpid()
        try:
            yield app
        finally:
            db.session.remove()


def today() -> date:
    """The current date in Paris: the robot's days are the users' days."""
    return datetime.now(PARIS).date()


def as_day(value: date | str | None) -> date:
    """None -> today; 'YYYY-MM-DD' -> date (RQ and the CLI pass either)."""
    if value is None:
        return today()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def paris_midnight_utc(day: date) -> datetime:
    """00:00 in Paris on `day`, as naive UTC (how every TIMESTAMP column is stored)."""
    return datetime.combine(day, time.min, tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _lock_key(name: str) -> int:
    return zlib.crc32(f"backoffice-job:{name}".encode())


def lock_job(session: Session, name: str) -> None:
    """Serialise runs of one job until the end of the transaction.

    PostgreSQL: a transaction-level advisory lock (released by commit, rollback, or the death
    of the connection: a SIGKILLed worker cannot leave it behind). Statements after it run
    in READ COMMITTED and so see what an earlier run committed. SQLite has one writer anyway.
    """
    if dialect(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(name)})


def _start_run(session: Session, name: str, day: date, now: datetime) -> int:
    """A new job_run row for this run: a day run again keeps the record of its earlier runs."""
    run = JobRun(job_name=name, run_date=day, started_at=now, finished_at=None, status="started")
    session.add(run)
    session.flush()
    return run.id


def _finish_run(session: Session, run_id: int, status: str, details: dict | str) -> None:
    payload = details if isinstance(details, str) else json.dumps(details, ensure_ascii=False, default=str)
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status=status, finished_at=utcnow(), details=payload[:4000])
                    .execution_options(synchronize_session=False))


def run_recorded(name: str, day: date | str | None, work: Callable[[Session, date, datetime], dict],
                 exclusive: bool = True) -> dict:
    """Run `work(session, day, now)` as the Robot, recorded in job_run.

    The job_run row is committed as "started" first (visible even if the worker dies). An
    exclusive job runs under the job's lock, in one transaction committed with its "done"
    mark; a non-exclusive one (send_outbox) commits as it goes. A failure is marked "failed"
    then re-raised (RQ keeps the traceback in its failed registry). A result carrying
    "status": "failed" is recorded as failed without raising (e.g. SMTP down: retried later).
    """
    day = as_day(day)
    # the run's lines share one id, as a request's do (backoffice/logging_setup.py)
    with app_context(), acting_as(ROBOT), request_id_bound(f"{name}-{uuid.uuid4().hex[:12]}"):
        session = db.session
        session.rollback()  # a clean transaction, whatever the caller left
        now = utcnow()
        run_id = _start_run(session, name, day, now)
        session.commit()
        try:
            if exclusive:
                lock_job(session, name)
            result = work(session, day, now)
            _finish_run(session, run_id, result.get("status", "done"), result)
            session.commit()
        except Exception as exc:
            session.rollback()
            _finish_run(session, run_id, "failed", f"{type(exc).__name__}: {exc}")
            session.commit()
            log.exception("job %s du %s en échec", name, day)
            raise
        log.info("job %s du %s : %s", name, day, result)
        return result


def record_run(name: str, details: dict, status: str = "done") -> None:
    """Record a run that needs no transaction of its own (catch_up_missed_runs: its row is the
    heartbeat of the embedded scheduler, backoffice/health.py)."""
    with app_context():
        session = db.session
        day, now = today(), utcnow()
        _finish_run(session, _start_run(session, name, day, now), status, details)
        session.commit()


def last_runs(session: Session, names: list[str]) -> dict[str, JobRun]:
    """The most recent job_run row of each job (for monitoring)."""
    latest = {name: session.scalars(select(JobRun).where(JobRun.job_name == name)
                                    .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)).first()
              for name in names}
    return {name: run for name, run in latest.items() if run is not None}


def purge_runs(session: Session, now: datetime) -> int:
    """Delete the job_run rows older than RUNS_KEPT, except each job's latest (the monitoring's
    "last run"): the jobs of every minute add a row per run."""
    latest = select(func.max(JobRun.id)).group_by(JobRun.job_name)
    return session.execute(delete(JobRun).where(JobRun.started_at < now - RUNS_KEPT, JobRun.id.not_in(latest))
                           .execution_options(synchronize_session=False)).rowcount
