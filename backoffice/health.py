"""GET /healthz: the state of each component, for a load balancer and the operators' probes.

200 while the database answers (the application can serve), 503 when it does not. No login:
it tells no secret (no address, no driver message), only states and ages in seconds:

- base_de_donnees: a SELECT 1;
- redis: a PING (« absent » in the embedded mode, without REDIS_URL);
- planificateur: how long ago the scheduler last showed life: its heartbeat in RQ's registry
  of cron schedulers (`flask run-scheduler`, jobs/scheduler.py, or `rq cron`), or in the
  embedded mode the latest job_run row of its passes (one per pass) (catch_up_missed_runs,
  jobs/embedded.py and `flask run-scheduler`);
- courriels: how long ago send_outbox last ran (job_run), the e-mails due and those in failure;
- workers: the RQ workers whose last heartbeat is recent enough (services/queue.py,
  worker_states), and those that stopped answering (« absent » in the embedded mode).
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import Blueprint
from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import JobRun, Outbox
from .models.listeners import utcnow
from .services import mail as mail_service
from .services.queue import redis_connection, worker_states

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

OK, ABSENT, DOWN, LATE, UNKNOWN = "ok", "absent", "hors_service", "en_retard", "inconnu"
# both the scheduler's heartbeat and the outbox run come every minute: five missed is a problem
STALE_AFTER = timedelta(minutes=5)
SCHEDULER_PASS = "catch_up_missed_runs"
OUTBOX_JOB = "send_outbox"


def _age(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, int((now - moment).total_seconds()))


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return {"statut": OK}
    except (SQLAlchemyError, OSError) as exc:
        log.error("santé : la base de données ne répond pas (%s)", type(exc).__name__, exc_info=exc)
        try:
            db.session.rollback()
        except (SQLAlchemyError, OSError):
            pass
        return {"statut": DOWN}


def _redis_heartbeat(connection) -> datetime | None:
    """The latest heartbeat of the `rq cron` processes (RQ's registry of cron schedulers)."""
    from rq.cron import cron_scheduler_registry
    latest = connection.zrevrange(cron_scheduler_registry.get_registry_key(), 0, 0, withscores=True)
    return datetime.fromtimestamp(latest[0][1], UTC).replace(tzinfo=None) if latest else None


def _last_start(name: str) -> JobRun | None:
    return db.session.scalars(select(JobRun).where(JobRun.job_name == name)
                              .order_by(JobRun.started_at.desc()).limit(1)).first()


def scheduler_state(connection, redis_state: str, database_up: bool, now: datetime) -> dict:
    if connection is not None:
        if redis_state != OK:
            return {"statut": UNKNOWN, "source": "rq cron"}
        try:
            beat = _redis_heartbeat(connection)
        except (RedisError, OSError):
            return {"statut": UNKNOWN, "source": "rq cron"}
        source = "rq cron"
    else:
        if not database_up:
            return {"statut": UNKNOWN, "source": "mode embarqué"}
        run = _last_start(SCHEDULER_PASS)
        beat, source = (run.started_at if run else None), "mode embarqué"
    age = _age(beat, now)
    state = OK if age is not None and age <= STALE_AFTER.total_seconds() else LATE
    return {"statut": state, "source": source, "dernier_signe_de_vie_il_y_a_s": age}


def outbox_state(database_up: bool, now: datetime) -> dict:
    if not database_up:
        return {"statut": UNKNOWN}
    run = _last_start(OUTBOX_JOB)
    count = select(func.count()).select_from(Outbox)
    waiting = db.session.scalar(count.where(mail_service.due(now)))
    failed = db.session.scalar(count.where(mail_service.FAILED))
    db.session.rollback()
    age = _age(run.started_at if run else None, now)
    if age is None or age > STALE_AFTER.total_seconds():
        state = LATE if waiting else OK  # nothing to send: a sender that did not run is no harm yet
    else:
        state = OK if run.status != "failed" else DOWN  # failed: the SMTP server is unreachable
    return {"statut": state, "derniere_execution_il_y_a_s": age,
            "derniere_execution": run.status if run else None, "a_envoyer": waiting, "en_echec": failed}


def workers_state(connection, redis_state: str) -> dict:
    if connection is None:
        return {"statut": ABSENT}
    if redis_state != OK:
        return {"statut": UNKNOWN}
    try:
        workers = worker_states(connection)
    except (RedisError, OSError):
        return {"statut": UNKNOWN}
    alive = sum(1 for worker in workers if worker["alive"])
    return {"statut": OK if alive else DOWN, "actifs": alive, "ne_repondent_plus": len(workers) - alive}


@bp.get("/healthz")
def healthz():
    now = utcnow()
    database = _database()
    database_up = database["statut"] == OK
    connection = redis_connection()
    if connection is None:
        redis = {"statut": ABSENT}
    else:
        try:
            connection.ping()
            redis = {"statut": OK}
        except (RedisError, OSError) as exc:
            log.warning("santé : Redis ne répond pas (%s)", type(exc).__name__)
            redis = {"statut": DOWN}
    components = {"base_de_donnees": database, "redis": redis,
                  "planificateur": scheduler_state(connection, redis["statut"], database_up, now),
                  "courriels": outbox_state(database_up, now),
                  "workers": workers_state(connection, redis["statut"])}
    if not database_up:
        overall = DOWN
    elif all(c["statut"] in (OK, ABSENT) for c in components.values()):
        overall = OK
    else:
        overall = "degrade"
    return {"statut": overall, "composants": components}, (200 if database_up else 503), {"Cache-Control": "no-store"}
