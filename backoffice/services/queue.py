"""Enqueue background jobs after the commit, and never let Redis break a user's request.

Services write what must happen (outbox rows, state) in their transaction, then call
`enqueue_after_commit(session, "jobs.outbox.send_outbox")`: the job is enqueued only if and
after that transaction commits (a rollback drops it). Embedded mode (REDIS_URL unset):
nothing is enqueued, the outbox is sent by `flask send-mail` / `flask run-scheduler`.
Redis unreachable: the error is logged and swallowed; the committed rows wait for the
periodic send_outbox job once Redis is back.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

log = logging.getLogger(__name__)

_PENDING = "backoffice_enqueue_after_commit"
SEND_OUTBOX = "jobs.outbox.send_outbox"
# A Redis that does not answer must not hold a user's request for long.
REDIS_TIMEOUTS = dict(socket_connect_timeout=2, socket_timeout=5)
# The longest time between two heartbeats of a worker, written in its Redis hash by
# jobs.worker.AppWorker; a plain `rq worker` (no such field) beats once per blocking wait.
HEARTBEAT_FIELD = "heartbeat_interval"
RQ_DEFAULT_HEARTBEAT = 405  # rq's DEFAULT_WORKER_TTL (420) - 15


def redis_connection(url: str | None = None) -> Redis | None:
    """A client for REDIS_URL (None in embedded mode). Connecting is lazy: no I/O here."""
    url = url if url is not None else current_app.config.get("REDIS_URL")
    return Redis.from_url(url, **REDIS_TIMEOUTS) if url else None


def get_queue(name: str | None = None, url: str | None = None) -> Queue | None:
    connection = redis_connection(url)
    if connection is None:
        return None
    return Queue(name or current_app.config.get("RQ_QUEUE", "default"), connection=connection)


def enqueue_now(func: Callable | str, *args, url: str | None = None, queue_name: str | None = None,
                job_id: str | None = None, unique: bool = False, **job_options) -> bool:
    """Enqueue at once; False (logged) when Redis is unreachable or the unique job exists."""
    queue = get_queue(queue_name, url)
    if queue is None:
        return False
    try:
        queue.enqueue(func, *args, job_id=job_id, unique=unique, **job_options)
        return True
    except DuplicateJobError:
        return False  # the queued one will do the work
    except (RedisError, OSError) as exc:
        log.warning("Redis injoignable, %s non mis en file (%s) : repris par la tâche périodique", func, exc)
        return False


def _real(session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def enqueue_after_commit(session, func: Callable | str, *args, job_id: str | None = None,
                         unique: bool = False, **job_options) -> None:
    """Enqueue `func(*args)` once the session's current transaction has committed.

    No-op in embedded mode. A rollback cancels it. Redis down: logged, the request goes on.
    """
    if not has_app_context():  # a script without the app: the periodic job will send
        return
    url = current_app.config.get("REDIS_URL")
    if not url:
        return
    _install()
    queue_name = current_app.config.get("RQ_QUEUE", "default")
    entry = (func, args, dict(url=url, queue_name=queue_name, job_id=job_id, unique=unique, **job_options))
    pending = _real(session).info.setdefault(_PENDING, [])
    if entry not in pending:  # ten mails in one transaction: one send_outbox
        pending.append(entry)


def enqueue_send_outbox(session) -> None:
    """The usual case: mail was queued in this transaction, send it as soon as it commits."""
    enqueue_after_commit(session, SEND_OUTBOX, result_ttl=0, ttl=3600)


def _after_commit(session: Session) -> None:
    for func, args, options in session.info.pop(_PENDING, []):
        try:
            enqueue_now(func, *args, **options)
        except Exception:  # the commit succeeded: never turn it into an error page
            log.exception("mise en file de %s impossible après le commit", func)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_PENDING, None)


def _install() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


def silent_after(interval: int) -> int:
    """Seconds without a heartbeat after which a worker whose beats come every `interval`
    seconds is judged gone (killed, machine down): one interval and a margin for a slow beat."""
    return interval + max(5, interval // 2)


def worker_states(connection, now: datetime | None = None) -> list[dict]:
    """The workers Redis knows, each judged alive or not from the age of its last heartbeat: a
    killed worker keeps its hash (and its last state, « busy ») until the hash expires, minutes
    later. Raises RedisError when Redis does not answer."""
    from rq import Worker

    now = now or datetime.now(UTC)
    states = []
    for worker in Worker.all(connection=connection):
        raw = connection.hget(worker.key, HEARTBEAT_FIELD)
        interval = int(raw) if raw and raw.isdigit() else RQ_DEFAULT_HEARTBEAT
        beat = worker.last_heartbeat
        age = None if beat is None else max(0, int((now - beat.replace(tzinfo=beat.tzinfo or UTC)).total_seconds()))
        states.append({"name": worker.name, "state": worker.get_state(), "queues": ", ".join(worker.queue_names()),
                       "job": worker.get_current_job_id(), "age": age,
                       "alive": age is not None and age <= silent_after(interval)})
    return sorted(states, key=lambda s: (not s["alive"], s["name"]))
