"""Daily housekeeping that no user sees: rows kept only for a while are deleted when their time is up.

throttle_event: each hit prunes only its own bucket, so buckets of identifiants or addresses that
are never hit again (a brute-force sweep over many names) would stay forever without this job.
job_run: one row per run, and some jobs run every minute (jobs/runtime.py, purge_runs).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from backoffice.services import throttle

from . import runtime


def _purge(session: Session, day: date, now: datetime) -> dict:
    return {"jour": day, "evenements_anti_abus_supprimes": throttle.purge(session, now),
            "executions_de_taches_supprimees": runtime.purge_runs(session, now)}


def purge_throttle_events(day: date | str | None = None) -> dict:
    """Delete the anti-abuse counters' events older than a day and the job runs older than
    runtime.RUNS_KEPT (idempotent)."""
    return runtime.run_recorded("purge_throttle_events", day, _purge)
