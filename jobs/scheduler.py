"""The one scheduler process of a Redis deployment: `flask --app wsgi run-scheduler` with REDIS_URL set.

It is RQ's CronScheduler (the same registry, heartbeat and enqueueing as `rq cron`, so the
monitoring and /healthz read it the same way) with a loop that rides out a Redis outage: `rq
cron` lets the first Redis error of a pass end the process, and nothing started it again (the
every-minute mail sender and the daily Robot then stopped for good). Here a failed pass is
logged and tried again after a growing delay (1, 2, 4 ... seconds, at most RETRY_MAX); the
first pass that reaches Redis again re-registers the scheduler (Redis may have restarted
empty) and fires the periodic jobs at once (the outbox waited during the outage); a daily job
whose slot passed meanwhile is due, so it is enqueued once too.

SCHEDULER_TICK_SECONDS (at most 60, RQ's own cap) is the longest sleep between two passes,
hence between two heartbeats; SCHEDULER_RETRY_MAX_SECONDS caps the delay between two tries
while Redis is down. The tests set both to 1 second to run an outage in seconds through this
same loop (tests/integration/test_scheduler_outage.py).
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from redis.exceptions import RedisError
from rq.cron import CronScheduler
from rq.exceptions import DuplicateSchedulerError, SchedulerNotFound, StopRequested
from rq.utils import now

from .schedule import QUEUE, SCHEDULE

log = logging.getLogger("jobs.scheduler")

RESULT_TTL = 86400  # a finished periodic job's result, for `rq info` and the monitoring
FAILURE_TTL = 30 * 86400  # a failed one stays in the monitoring's « Tâches en échec » a month
RETRY_FIRST = 1.0


def _seconds(name: str, default: float) -> float:
    try:
        return max(0.1, float(os.environ.get(name, default)))
    except ValueError:
        return default


def register_schedule(register: Callable) -> None:
    """Register jobs.schedule.SCHEDULE with `register` (rq.cron.register for `rq cron`
    jobs/cron_config.py, or a CronScheduler's own register here): one list, two readers."""
    for job in SCHEDULE:
        register(job.func, queue_name=QUEUE, cron=job.cron, interval=job.interval, name=job.name,
                 job_timeout=job.timeout, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL)


class ResilientCronScheduler(CronScheduler):
    """CronScheduler whose start() survives Redis going away (see the module's docstring)."""

    def __init__(self, connection, tick: float | None = None, retry_max: float | None = None, **kwargs):
        super().__init__(connection, **kwargs)
        self.tick = min(60.0, tick if tick is not None else _seconds("SCHEDULER_TICK_SECONDS", 60))
        self.retry_max = retry_max if retry_max is not None else _seconds("SCHEDULER_RETRY_MAX_SECONDS", 60)

    def _fire_interval_jobs_now(self) -> None:
        moment = now()
        for job in self._cron_jobs:
            if job.interval:
                job.next_enqueue_time = moment

    def _pass(self, born: bool) -> None:
        """One pass: (re-)register, enqueue what is due, heartbeat. Raises on a Redis error."""
        if not born:
            try:
                self.register_birth()
            except DuplicateSchedulerError:  # the birth was written, its answer lost with the connection
                pass
        if self.enqueue_jobs():
            self.save()  # the jobs' times, for the monitoring
        self.heartbeat()  # re-creates the registry entry and the hash if Redis lost them

    def start(self) -> None:
        self.log.info("CronScheduler %s: starting (passes at most %s s apart)...", self.name, self.tick)
        self._install_signal_handlers()
        born, failures, delay = False, 0, RETRY_FIRST
        try:
            while True:
                try:
                    if failures:
                        self.connection.ping()
                        self._fire_interval_jobs_now()
                    self._pass(born)
                except (RedisError, OSError) as exc:
                    failures += 1
                    log.warning("planificateur : Redis injoignable (essai %d) : %s ; nouvel essai dans %.0f s",
                                failures, exc, delay)
                    time.sleep(delay)
                    delay = min(delay * 2, self.retry_max)
                    continue
                if failures:
                    log.warning("planificateur : Redis de nouveau joignable après %d essai(s) : "
                                "tâches périodiques relancées", failures)
                born, failures, delay = True, 0, RETRY_FIRST
                pause = min(self.calculate_sleep_interval(), self.tick)
                if pause > 0:
                    time.sleep(pause)
        except KeyboardInterrupt:
            self.log.info("CronScheduler %s: received KeyboardInterrupt", self.name)
        except StopRequested:
            self.log.info("CronScheduler %s: stop requested", self.name)
        finally:
            try:
                self.register_death()
            except (RedisError, OSError, SchedulerNotFound):
                pass  # Redis down or emptied: its entry expires by itself
            self.log.info("CronScheduler %s: shutdown complete", self.name)


def build(connection, **kwargs) -> ResilientCronScheduler:
    scheduler = ResilientCronScheduler(connection, **kwargs)
    scheduler.config_file = "jobs.schedule.SCHEDULE"
    register_schedule(scheduler.register)
    return scheduler


def run(url: str) -> None:
    """Run the scheduler until SIGTERM / SIGINT (systemd's stop, Ctrl-C)."""
    from backoffice.services.queue import redis_connection
    build(redis_connection(url)).start()
