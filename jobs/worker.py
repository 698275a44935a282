"""`rq worker -w jobs.worker.AppWorker --url $REDIS_URL default`: the worker of production.

- It builds the Flask app once, before forking, so that each job's process (RQ's "horse", a
  fork) starts with the app ready instead of building it again (~1.5 s per job). A plain
  `rq worker` works too: the horse then builds the app itself.
- It beats often enough to be judged: an idle RQ worker writes its heartbeat once per blocking
  wait on the queue (worker_ttl - 15 s: 405 s by default), so a killed worker looked alive for
  minutes. Unless `--worker-ttl` is given, AppWorker uses WORKER_TTL (60 s: a beat every 45 s,
  every `--job-monitoring-interval` (30 s) while a job runs) and writes that interval in its
  Redis hash (HEARTBEAT_FIELD), which the monitoring compares with the age of its last beat
  (backoffice/services/queue.py, worker_states).
- It registers again when Redis lost it: RQ rides out an outage while idle (it retries its
  wait with a growing delay), but after a Redis restart without its data, its heartbeat only
  re-creates a bare hash, outside the list of workers: the monitoring said « Workers : 0 »
  while it ran.
- It starts RQ's loop again when RQ leaves it on an error: RQ stops the worker when Redis
  vanishes as a job ends (it cannot record the result); AppWorker waits 1, 2, 4 ... 60 s and
  starts again (a new registration, the same name). What RQ cannot survive, Redis down when
  the process starts, the systemd unit handles (docs/deploy/dokelio-worker@.service).
"""
import logging
import time

from redis.exceptions import RedisError
from rq import worker_registration
from rq.defaults import DEFAULT_WORKER_TTL
from rq.exceptions import StopRequested
from rq.worker import Worker

from backoffice.services.queue import HEARTBEAT_FIELD

from . import runtime

log = logging.getLogger("jobs")

WORKER_TTL = 60
RETRY_FIRST, RETRY_MAX = 1.0, 60.0  # seconds between two restarts of RQ's loop while Redis is down


class AppWorker(Worker):
    def __init__(self, *args, **kwargs):
        if kwargs.get("worker_ttl") in (None, DEFAULT_WORKER_TTL):  # `rq worker` passes its default
            kwargs["worker_ttl"] = WORKER_TTL
            kwargs.pop("default_worker_ttl", None)
        super().__init__(*args, **kwargs)

    @property
    def heartbeat_interval(self) -> int:
        """The longest time between two heartbeats of this worker, idle or busy."""
        return max(self.dequeue_timeout, self.job_monitoring_interval)

    def serialize(self) -> dict:
        return {**super().serialize(), HEARTBEAT_FIELD: self.heartbeat_interval}

    def work(self, burst: bool = False, **kwargs):
        runtime.preload()
        delay = RETRY_FIRST
        while True:
            started = time.monotonic()
            try:
                worked = super().work(burst, **kwargs)
                error = None
            except (RedisError, OSError, ValueError) as exc:  # ValueError: a birth refused, name still there
                worked, error = False, exc
            stopped = self._stop_requested or self._shutdown_requested_date is not None  # SIGTERM / SIGINT
            if burst or stopped or kwargs.get("max_jobs") or kwargs.get("max_idle_time"):
                if error is not None:
                    raise error
                return worked
            # RQ left its loop on an error (Redis gone while a job ended): start it again
            if time.monotonic() - started > RETRY_MAX:  # it had worked for a while: a new outage
                delay = RETRY_FIRST
            log.warning("worker %s : boucle de travail interrompue (%s) ; reprise dans %.0f s",
                        self.name, error or "erreur inattendue", delay)
            try:
                time.sleep(delay)
            except StopRequested:  # SIGTERM while waiting (systemctl stop): nothing runs, leave
                return worked
            except RedisError:  # SIGTERM while « busy »: RQ tried to note it in Redis, still down
                return worked
            delay = min(delay * 2, RETRY_MAX)
            self._forget_registration()

    def _forget_registration(self) -> None:
        """Before RQ's loop starts again: its pub/sub thread stopped, its old hash deleted (RQ
        refuses a birth while a hash of the same name has no death date)."""
        thread, self.pubsub_thread = self.pubsub_thread, None
        if thread is not None:
            thread.stop()
        try:
            self.connection.delete(self.key)
        except (RedisError, OSError):
            pass  # still down: the birth fails, and this loop waits again

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        if pipeline is None and not self.is_horse and self.birth_date is not None:
            if not self.connection.sismember(self.redis_workers_keys, self.key):
                self._register_again()

    def _register_again(self) -> None:
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping={**self.serialize(), "state": self.get_state()})
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()
        log.warning("worker %s inscrit de nouveau dans Redis (redémarré sans ses données)", self.name)
