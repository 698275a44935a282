"""The schedule, as data: what runs when. Read by jobs/scheduler.py (`flask run-scheduler` with
Redis; `rq cron jobs/cron_config.py` too), by `flask run-scheduler` in the embedded mode (no
Redis), by `flask run-job` and by the monitoring.

Cron strings are in the machine's local time (that is how `rq cron` reads them); the jobs
themselves work on the Paris date. The daily jobs are idempotent and catch up ("due on or
before today"), so a missed slot only delays work; `catch_up_missed_runs` (fired by the scheduler
at start-up, then hourly) runs at once any daily job whose last slot passed without a run.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from croniter import croniter
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import JobRun

from . import housekeeping, lheo_import, outbox, robot, runtime

QUEUE = os.environ.get("RQ_QUEUE", "default")


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    func: Callable
    cron: str | None = None  # daily jobs
    interval: int | None = None  # seconds
    label: str = ""
    timeout: int = 1800  # seconds: a job killed by RQ after this is retried by the next slot
    takes_day: bool = True


def _done_for(name: str, first_day: date, last_day: date) -> bool:
    """A run of `name` that succeeded for a day between the two, started on or after the first:
    keyed by the day processed, so that a manual run for another day (`flask run-job --date`),
    made today or earlier, is not taken for today's."""
    return db.session.scalar(select(JobRun.id).where(
        JobRun.job_name == name, JobRun.status == "done", JobRun.run_date.between(first_day, last_day),
        JobRun.started_at >= runtime.paris_midnight_utc(first_day)).limit(1)) is not None


def catch_up_missed_runs(now: datetime | None = None) -> dict:
    """Run now every daily job whose latest cron slot passed with no successful run for its day.

    What `rq cron` cannot do by itself: after a restart it waits for the next slot. The job run
    now is today's, whose conditions include every missed day: it catches up once. Today's run
    made before the slot (after midnight, by hand) counts: the day is the same.
    """
    now = now or datetime.now().astimezone()
    today = now.astimezone(runtime.PARIS).date()
    ran = {}
    with runtime.app_context():
        for job in SCHEDULE:
            if job.cron is None:
                continue
            slot_day = croniter(job.cron, now).get_prev(datetime).astimezone(runtime.PARIS).date()
            done = _done_for(job.name, slot_day, today)
            db.session.rollback()
            if not done:
                ran[job.name] = job.func(today)
        runtime.record_run("catch_up_missed_runs", {"rattrapees": sorted(ran)})
    return ran


SCHEDULE: list[ScheduledJob] = [
    ScheduledJob("archive_due_actions", robot.archive_due_actions, cron="30 2 * * *",
                 label="Archivage automatique (un mois après la fin de la dernière session)"),
    ScheduledJob("send_archiving_reminders", robot.send_archiving_reminders, cron="0 3 * * *",
                 label="Courriel « archivage dans 10 jours »"),
    ScheduledJob("inactivate_stale_actions", robot.inactivate_stale_actions, cron="15 3 * * *",
                 label="Inactivation 120 jours après une demande de complétude"),
    ScheduledJob("purge_throttle_events", housekeeping.purge_throttle_events, cron="45 3 * * *",
                 label="Purge des compteurs anti-abus (un jour) et des exécutions de tâches (90 jours)"),
    ScheduledJob("send_outbox", outbox.send_outbox, interval=60, timeout=600, takes_day=False,
                 label="Envoi des courriels en attente"),
    # LHEO uploads made while Redis was down, runs whose worker died (jobs/lheo_import.py)
    ScheduledJob("resume_lheo_imports", lheo_import.resume_imports, interval=60, timeout=300, takes_day=False,
                 label="Reprise des imports LHEO en attente ou interrompus"),
    ScheduledJob("catch_up_missed_runs", catch_up_missed_runs, interval=3600, takes_day=False,
                 label="Rattrapage des tâches quotidiennes manquées"),
]

JOBS: dict[str, ScheduledJob] = {job.name: job for job in SCHEDULE}
DAILY = [job for job in SCHEDULE if job.cron]
