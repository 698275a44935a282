"""Redis goes away and comes back empty while the production scheduler (`flask run-scheduler`,
jobs/scheduler.py) and a worker run, as real processes: both stay up, and the e-mail written
during the outage goes out once Redis is back, with no one doing anything.

`rq cron` left its loop at the first Redis error of a pass (then exited); the scheduler here
passes every second (SCHEDULER_TICK_SECONDS=1, production: every minute at most), so the
outage below spans several failed passes of the same loop, where `rq cron` would have exited
at the first."""
import configparser
import time

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.cron_scheduler_registry import get_keys as scheduler_names
from rq.registry import StartedJobRegistry
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import JobRun
from backoffice.services.mail import queue_mail
from tests.integration.jobs_support import (
    ROOT,
    RedisServer,
    end_process,
    quick_beats,
    scheduler_command,
    start_process,
    wait_until,
    worker_command,
    worker_env,
)

SUBJECT = "Écrit pendant la coupure de Redis"


def _outbox_ran() -> bool:
    db.session.rollback()
    return db.session.scalar(select(JobRun.id).where(JobRun.job_name == "send_outbox",
                                                     JobRun.status == "done")) is not None


def _idle(connection: Redis) -> bool:
    queue = Queue("default", connection=connection)
    return queue.count == 0 and StartedJobRegistry(queue=queue).count == 0


def _failed_tries(log) -> int:
    return log.read_text(errors="replace").count("Redis injoignable (essai")


OUTAGE_SECONDS = 120


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_scheduler_and_worker_ride_out_a_redis_restart_and_the_mail_goes_out(app, database_url, smtp, tmp_path):
    server = RedisServer(tmp_path / "redis-outage").start()
    env = worker_env(database_url, server.url, tmp_path, smtp.port)
    # passes every second, tries at most 10 s apart while Redis is down: the production loop, faster
    env.update(SCHEDULER_TICK_SECONDS="1", SCHEDULER_RETRY_MAX_SECONDS="10")
    scheduler_log, worker_log = tmp_path / "scheduler.log", tmp_path / "worker.log"
    scheduler = start_process(scheduler_command(), env, scheduler_log)
    worker = start_process(worker_command(server.url, False, *quick_beats()), env, worker_log)
    try:
        # the first pass enqueues the every-minute jobs at once; the worker runs them
        wait_until(_outbox_ran, 60, "first send_outbox run")
        wait_until(lambda: _idle(server.client()), 60, "queue drained")
        name = scheduler_names(server.client())[0]

        server.stop()
        stopped = time.monotonic()
        queue_mail(db.session, "of@test.fr", SUBJECT, "Bonjour")  # a user's save while Redis is down
        db.session.commit()
        wait_until(lambda: _failed_tries(scheduler_log) >= 4, 60, "four failed passes logged")
        # Redis stays down two minutes: `rq cron` alone used to exit after about one
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        assert scheduler.poll() is None, scheduler_log.read_text()
        assert worker.poll() is None, worker_log.read_text()

        server.start()  # same port, no data: the queue, the registries and the worker list are gone
        wait_until(lambda: SUBJECT in " ".join(smtp.subjects()), 60, "mail sent after Redis came back")
        time.sleep(2)  # a further pass of the outbox must not send it again
        assert smtp.subjects().count(SUBJECT) == 1
        assert "Redis de nouveau joignable" in scheduler_log.read_text()
        connection = server.client()
        assert scheduler_names(connection) == [name]  # the same scheduler, registered again
        # the worker that ran the mail is listed again (the monitoring's « Workers actifs »)
        assert [w.pid for w in Worker.all(connection=connection)] == [worker.pid]
        assert scheduler.poll() is None and worker.poll() is None
    finally:
        codes = end_process(scheduler), end_process(worker)
        server.stop()
    assert codes == (0, 0), (scheduler_log.read_text(), worker_log.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_worker_whose_job_ends_while_redis_is_down_starts_again(database_url, tmp_path):
    """RQ leaves its loop (and a plain `rq worker` exits) when it cannot record the end of a job:
    AppWorker starts the loop again once Redis answers, and runs the next job."""
    server = RedisServer(tmp_path / "redis-job-end").start()
    log = tmp_path / "worker.log"
    worker = start_process(worker_command(server.url, False, *quick_beats()), worker_env(database_url, server.url,
                                                                                           tmp_path), log)
    try:
        wait_until(lambda: Worker.all(connection=server.client()), 60, "worker registered")
        Queue("default", connection=server.client()).enqueue("time.sleep", 3)
        wait_until(lambda: StartedJobRegistry("default", connection=server.client()).count, 30, "job started")
        server.stop()  # the job ends 3 s later, Redis gone
        wait_until(lambda: "boucle de travail interrompue" in log.read_text(errors="replace"), 30,
                   "RQ's loop left and the restart announced")
        assert worker.poll() is None, log.read_text()

        server.start()
        done = tmp_path / "fait"
        Queue("default", connection=server.client()).enqueue("os.mkdir", str(done))
        wait_until(done.exists, 60, "the next job run")
        assert [w.pid for w in Worker.all(connection=server.client())] == [worker.pid]
    finally:
        code = end_process(worker)
        server.stop()
    assert code == 0, log.read_text()

def _unit(name: str) -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "docs" / "deploy" / name, encoding="utf-8")
    return {f"{section}.{key}": value for section in parser.sections() for key, value in parser[section].items()}


@pytest.mark.parametrize(("name", "command"), [
    ("dokelio-scheduler.service", " ".join(scheduler_command()[1:])),
    ("dokelio-worker@.service", "rq worker -w jobs.worker.AppWorker --url ${REDIS_URL}"),
    ("dokelio-web.service", "gunicorn --workers 4 --worker-class gthread"),
])
def test_the_units_the_readme_describes_restart_their_process_for_ever(name, command):
    """docs/deploy/: each unit runs the command tested here and in the README, restarts it
    whatever the way it ended, and never gives up after a burst of failed starts."""
    unit = _unit(name)
    assert command in unit["Service.ExecStart"]
    assert unit["Service.Restart"] == "always" and unit["Unit.StartLimitIntervalSec"] == "0"
    assert unit["Service.EnvironmentFile"] == "/etc/dokelio/env"
    assert f"docs/deploy/{name}" in (ROOT / "README.md").read_text(encoding="utf-8")
