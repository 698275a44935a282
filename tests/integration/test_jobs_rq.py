"""The jobs for real: a private redis-server, `rq worker --burst` processes, RQ's CronScheduler,
an aiosmtpd server, PostgreSQL. Slow (worker processes): a few seconds each."""
import os
import signal
import subprocess
import time
from datetime import timedelta

import psycopg
import pytest
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from backoffice import rules
from backoffice.extensions import db
from backoffice.models import Action, History, JobRun, Outbox
from jobs import runtime, schedule
from tests.integration.jobs_support import (
    D,
    build_robot_base,
    children,
    run_worker,
    snapshot,
    worker_command,
    worker_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]
ROBOT_JOBS = ("jobs.robot.archive_due_actions", "jobs.robot.send_archiving_reminders",
              "jobs.robot.inactivate_stale_actions")


def _queue(redis_url):
    return Queue("default", connection=Redis.from_url(redis_url))


def _enqueue_day(queue, day, send=True):
    for name in ROBOT_JOBS:
        queue.enqueue(name, day)
    if send:
        queue.enqueue("jobs.outbox.send_outbox")


def _archived(numeros) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Action.numero).where(Action.numero.in_(numeros),
                                                              Action.etat_fiche == "archive")))


def test_workers_archive_remind_inactivate_exactly_and_a_second_day_run_sends_nothing(
        app, make, redis_url, smtp, database_url, tmp_path):
    """Through Redis and a real worker, on 2027-03-01: the hand-computed actions change, each
    reminder and inactivation e-mail reaches the SMTP server once, to the organisme's users;
    the same jobs run again change nothing and send nothing."""
    base = build_robot_base(make)
    env = worker_env(database_url, redis_url, tmp_path, smtp.port)
    queue = _queue(redis_url)
    _enqueue_day(queue, D)
    run_worker(redis_url, env)

    touched = base.archived | {"A5"}  # A5 was archived before
    assert _archived(base.numeros(base.actions)) == base.numeros(touched)
    assert smtp.recipients_of(base.numero("A2")) == base.recipients["A2"]
    assert smtp.recipients_of(base.numero("A9")) == base.recipients["A9"]
    assert smtp.recipients_of(base.numero("A12")) == base.recipients["A12"]
    assert len(smtp.messages) == 3 and not smtp.recipients_of(base.numero("A11"))
    assert len(FailedJobRegistry(queue=queue)) == 0

    before = snapshot(db.session)
    _enqueue_day(queue, D)
    run_worker(redis_url, env)
    assert snapshot(db.session) == before and len(smtp.messages) == 3


def test_scheduler_down_three_days_catches_up_on_its_next_run_once(app, make, redis_url, database_url, tmp_path):
    """RQ's CronScheduler missed three daily slots: its next pass enqueues each daily job once;
    the run of today archives what was due on the missed days and today, reminds once, and a
    further pass enqueues nothing."""
    today = runtime.today()
    o = make.organisme()
    make.user("organisme", organismes=[o])

    def action_ending(end):
        a = make.action(o, controle="vise", publication="diffusable", etat_fiche="cree")
        make.session(a, date_debut=end - timedelta(days=30), date_fin=end)
        return a.numero
    due_3_days_ago = action_ending(rules.latest_end_archived_by(today - timedelta(days=3)))
    due_today = action_ending(rules.latest_end_archived_by(today))
    due_tomorrow = action_ending(rules.latest_end_archived_by(today) + timedelta(days=1))
    reminder_missed = action_ending(rules.latest_end_reminded_by(today - timedelta(days=2)))

    connection = _queue(redis_url).connection
    scheduler = CronScheduler(connection=connection)
    for job in schedule.DAILY:
        cron_job = scheduler.register(job.func, queue_name="default", cron=job.cron, name=job.name)
        cron_job.next_enqueue_time = cron_job.next_enqueue_time - timedelta(days=3)  # down since then
    assert sorted(j.name for j in scheduler.enqueue_jobs()) == sorted(j.name for j in schedule.DAILY)
    assert scheduler.enqueue_jobs() == []  # the missed slots are not replayed one by one
    run_worker(redis_url, worker_env(database_url, redis_url, tmp_path))

    assert _archived([due_3_days_ago, due_today, due_tomorrow]) == {due_3_days_ago, due_today}
    # reminded today: every action archived after today and by today + 10, the missed one included
    reminders = db.session.scalars(select(Outbox.dedup_key).where(Outbox.dedup_key.like("reminder:%"))).all()
    assert sorted(k.split(":")[1] for k in reminders) == sorted([reminder_missed, due_tomorrow])
    runs = db.session.scalars(select(JobRun).where(JobRun.run_date == today)).all()
    assert {r.job_name for r in runs if r.status == "done"} >= {j.name for j in schedule.DAILY}
    before = snapshot(db.session)
    assert schedule.catch_up_missed_runs() == {}  # nothing missed any more
    assert scheduler.enqueue_jobs() == []
    assert snapshot(db.session) == before


def _backend_waiting_on_update(admin_dsn: str, dbname: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
                               "AND query LIKE 'UPDATE action%%'", (dbname,)).fetchone()
            if row:
                return row[0]
            time.sleep(0.1)
    raise AssertionError("the archiving job never reached its UPDATE")


def test_worker_killed_in_the_middle_of_archiving_then_restarted(app, make, redis_url, smtp, database_url, tmp_path):
    """SIGKILL of the worker and its horse while the archiving job waits inside its transaction:
    nothing half-done is left; after the registry cleanup, a requeue and a new worker, the final
    state is right, with one history row per archived action and each e-mail sent once."""
    base = build_robot_base(make)
    env = worker_env(database_url, redis_url, tmp_path, smtp.port)
    queue = _queue(redis_url)
    _enqueue_day(queue, D)
    dbname = database_url.rsplit("/", 1)[1]
    admin_dsn = database_url.replace("postgresql+psycopg://", "postgresql://")

    blocker = psycopg.connect(admin_dsn)  # holds a row the archiving UPDATE needs
    blocker.execute("SELECT id FROM action WHERE numero = %s FOR UPDATE", (base.numero("A1"),))
    worker = subprocess.Popen(worker_command(redis_url, burst=True), env=env, cwd=str(tmp_path))
    try:
        backend_pid = _backend_waiting_on_update(admin_dsn, dbname)
        horses = children(worker.pid)
        assert horses, "the worker runs its job in a child process (the horse)"
        for pid in horses + [worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        blocker.rollback()
        blocker.close()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:  # the dead client's transaction ends
        deadline = time.monotonic() + 30
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend_pid,)).fetchone():
            assert time.monotonic() < deadline, "the orphan backend did not end"
            time.sleep(0.1)

    assert _archived(base.numeros(base.archived)) == set()  # rolled back as a whole
    db.session.expire_all()
    run = db.session.scalar(select(JobRun).where(JobRun.job_name == "archive_due_actions"))
    assert run.status == "started"  # monitoring shows the interrupted run

    started = StartedJobRegistry(queue=queue)
    assert len(started.get_job_ids()) == 1  # "started" until its timeout passes
    started.cleanup(timestamp=time.time() + 3600)  # what a worker's maintenance does after the timeout
    failed = FailedJobRegistry(queue=queue)
    assert len(failed) == 1
    failed.requeue(failed.get_job_ids()[0])  # the monitoring's "Relancer"
    run_worker(redis_url, env)

    assert _archived(base.numeros(base.actions)) == base.numeros(base.archived | {"A5"})
    transitions = db.session.scalars(select(History.entity_key).where(History.op == "transition")).all()
    assert sorted(transitions) == sorted(str(base.actions[k].id) for k in base.archived | base.inactivated)
    assert len(smtp.messages) == 3 and len({m["Message-ID"] for m in smtp.messages}) == 3
    db.session.expire_all()
    # the interrupted run keeps its own record next to the one that did the work
    assert db.session.scalars(select(JobRun.status).where(JobRun.job_name == "archive_due_actions")
                              .order_by(JobRun.id)).all() == ["started", "done"]
    assert db.session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))) == 0
