"""Supervision des tâches (admins): RQ queues, failed jobs with requeue, last run of each
periodic job, and the mail outbox with "renvoyer". Our own page behind our own login: no
rq-dashboard, nothing reachable without the "job" permission."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select

from .. import health, permissions
from ..column_limits import typed_key
from ..extensions import db
from ..models import Outbox
from ..models.listeners import utcnow
from ..rules import smtp as smtp_rules
from ..services import mail as mail_service
from ..services.queue import enqueue_send_outbox, redis_connection, worker_states
from .permission_view import PermissionView

log = logging.getLogger(__name__)
FAILED_SHOWN = 50
OUTBOX_SHOWN = 50
WORKER_STATES = {"idle": "en attente de tâches", "busy": "occupé", "started": "démarrage",
                 "suspended": "suspendu"}


def _redis_overview(connection) -> dict:
    """Queues, their registries, workers and failed jobs; raises RedisError when unreachable."""
    from rq import Queue
    from rq.cron import CronScheduler
    from rq.job import Job
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    connection.ping()
    queues, failed = [], []
    for queue in Queue.all(connection=connection):
        failed_registry = FailedJobRegistry(queue=queue)
        queues.append({"name": queue.name, "queued": queue.count,
                       "started": StartedJobRegistry(queue=queue).count,
                       "scheduled": ScheduledJobRegistry(queue=queue).count,
                       "failed": failed_registry.count})
        ids = failed_registry.get_job_ids(0, FAILED_SHOWN - 1)
        for job in Job.fetch_many(ids, connection=connection):
            if job is None:
                continue
            result = job.latest_result()
            exc = ((result.exc_string if result is not None else "") or "").strip().splitlines()
            failed.append({"id": job.id, "queue": queue.name, "func": job.func_name,
                           "args": ", ".join(map(repr, job.args or ())), "ended_at": job.ended_at,
                           "error": exc[-1] if exc else ""})
    workers = worker_states(connection)
    for worker in workers:
        worker["label"] = (WORKER_STATES.get(worker["state"], worker["state"]) if worker["alive"] else
                           "arrêté / ne répond plus" + (f" depuis {_age_text(worker['age'])}"
                                                        if worker["age"] is not None else ""))
    schedulers = [s.name for s in CronScheduler.all(connection)]
    return {"queues": queues, "failed": failed, "workers": workers, "schedulers": schedulers}


def _age_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"


def _heartbeats(connection, redis_up: bool) -> list[dict]:
    """The scheduler's heartbeat and the outbox's last run, as /healthz computes them, each
    with the French alarm of the red banner when older than health.STALE_AFTER (or never)."""
    now, stale = utcnow(), health.STALE_AFTER.total_seconds()
    redis_state = health.OK if redis_up else health.DOWN
    scheduler = health.scheduler_state(connection, redis_state, True, now)
    outbox = health.outbox_state(True, now)
    beats = [
        {"id": "scheduler", "label": f"Dernier signe de vie du planificateur ({scheduler['source']})",
         "age": scheduler.get("dernier_signe_de_vie_il_y_a_s"), "known": scheduler["statut"] != health.UNKNOWN,
         "never": "Le planificateur n'a jamais donné signe de vie",
         "since": "Le planificateur ne donne plus signe de vie depuis {}",
         "then": "les tâches quotidiennes et l'envoi des courriels ne sont plus lancés. Vérifiez le "
                 "processus « flask run-scheduler » (service dokelio-scheduler) et Redis."},
        {"id": "outbox-run", "label": "Dernier passage de l'envoi des courriels",
         "age": outbox.get("derniere_execution_il_y_a_s"), "known": True,
         "never": "L'envoi des courriels n'a jamais tourné",
         "since": "L'envoi des courriels n'a pas tourné depuis {}",
         "then": "les courriels attendent dans l'outbox. Vérifiez les workers et le planificateur."}]
    for beat in beats:
        age = beat["age"]
        beat["age_text"] = "jamais" if age is None else f"il y a {_age_text(age)}"
        beat["late"] = beat["known"] and (age is None or age > stale)
        lead = beat["never"] if age is None else beat["since"].format(_age_text(age))
        beat["alarm"] = f"{lead} : {beat['then']}"
    return beats


class MonitoringView(PermissionView):
    """/admin/supervision/: what the jobs did and what waits, for admins only."""

    resource = "job"

    def _require_edit(self):
        if not permissions.allowed(current_user, self.resource, "edit"):
            abort(403)

    @expose("/")
    def index(self):
        from jobs import runtime, schedule
        from jobs.cli import outbox_counts

        redis, redis_error = None, None
        connection = redis_connection()
        if connection is not None:
            try:
                redis = _redis_overview(connection)
            except (RedisError, OSError) as exc:
                redis_error = str(exc)
        heartbeats = _heartbeats(connection, redis is not None)
        runs = runtime.last_runs(db.session, list(schedule.JOBS))
        waiting = db.session.scalars(select(Outbox).where(Outbox.sent_at.is_(None))
                                     .order_by(Outbox.id.desc()).limit(OUTBOX_SHOWN)).all()
        sent = db.session.scalars(select(Outbox).where(Outbox.sent_at.is_not(None))
                                  .order_by(Outbox.sent_at.desc()).limit(20)).all()
        return self.render("admin/monitoring.html", redis=redis, redis_error=redis_error, heartbeats=heartbeats,
                           embedded=connection is None, schedule=schedule.SCHEDULE, runs=runs,
                           counts=outbox_counts(db.session), waiting=waiting, sent=sent,
                           retry_hours=int(smtp_rules.RETRY_FOR.total_seconds() // 3600))

    @expose("/relancer", methods=["POST"])
    def requeue(self):
        """Put a failed RQ job back in its queue."""
        self._require_edit()
        from rq import Queue
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.registry import FailedJobRegistry

        connection = redis_connection()
        job_id, queue_name = request.form.get("job_id", ""), request.form.get("queue", "")
        if connection is None or not job_id or not queue_name:
            abort(400)
        try:
            FailedJobRegistry(queue=Queue(queue_name, connection=connection)).requeue(job_id)
            flash(f"La tâche {job_id} a été remise en file.", "success")
        except (NoSuchJobError, InvalidJobOperation):
            flash("Cette tâche n'est plus dans la liste des tâches en échec.", "warning")
        except (RedisError, OSError) as exc:
            log.warning("relance impossible : %s", exc)
            flash("Redis est injoignable : réessayez plus tard.", "error")
        return redirect(url_for(".index"))

    @expose("/renvoyer", methods=["POST"])
    def resend(self):
        """Send an e-mail again: back in the queue if it failed, a new copy if it was sent."""
        self._require_edit()
        outbox_id = typed_key(Outbox.id, request.form.get("outbox_id", ""))
        if outbox_id is None or not mail_service.resend(db.session, outbox_id):
            abort(404)
        enqueue_send_outbox(db.session)
        db.session.commit()
        flash("Le courriel a été remis en file d'envoi.", "success")
        return redirect(url_for(".index"))

    @expose("/renvoyer-echecs", methods=["POST"])
    def resend_failed(self):
        """Every failed e-mail back in the queue at once (after an SMTP outage, say)."""
        self._require_edit()
        count = mail_service.resend_failed(db.session)
        if count:
            enqueue_send_outbox(db.session)
        db.session.commit()
        if count == 0:
            flash("Aucun courriel en échec à renvoyer.", "info")
        elif count == 1:
            flash("Le courriel en échec a été remis en file d'envoi.", "success")
        else:
            flash(f"Les {count} courriels en échec ont été remis en file d'envoi.", "success")
        return redirect(url_for(".index"))
