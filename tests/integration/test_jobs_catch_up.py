"""The catch-up is keyed by the day a run processed, each run keeps its own job_run row, and
old rows are purged (each job's latest kept)."""
from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from backoffice import rules
from backoffice.extensions import db
from backoffice.models import Action, JobRun
from backoffice.models.listeners import utcnow
from backoffice.workflow import EtatFiche
from jobs import housekeeping, robot, runtime, schedule


def _noon_today():
    """Past every daily slot of the schedule, today in Paris."""
    return datetime.combine(runtime.today(), time(12, 0), tzinfo=runtime.PARIS)


def _action_ending(make, organisme, end) -> str:
    action = make.action(organisme, controle="vise", publication="diffusable", etat_fiche="cree")
    make.session(action, date_debut=end - timedelta(days=30), date_fin=end)
    return action.numero


def _etat(numero: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Action.etat_fiche).where(Action.numero == numero))


def _runs(name: str) -> list[tuple]:
    db.session.expire_all()
    return [(r.run_date, r.status) for r in db.session.scalars(
        select(JobRun).where(JobRun.job_name == name).order_by(JobRun.id))]


def test_catch_up_after_a_manual_run_of_another_day_runs_todays_daily_jobs(app, make):
    """`flask run-job … --date <another day>` for every daily job, made today: a restarted
    scheduler still runs today's jobs, which archive what is due today; a second pass runs nothing."""
    today = runtime.today()
    another = today - timedelta(days=7)
    organisme = make.organisme()
    make.user("organisme", organismes=[organisme])
    due_today = _action_ending(make, organisme, rules.latest_end_archived_by(today))
    runner = app.test_cli_runner()
    for job in schedule.DAILY:
        result = runner.invoke(args=["run-job", job.name, "--date", another.isoformat()])
        assert result.exit_code == 0, result.output
    # made at 06:00, after every daily slot, whatever the clock says now: a run recent enough
    # to pass for today's if the day it processed were not looked at
    db.session.execute(update(JobRun).values(started_at=runtime.paris_midnight_utc(today) + timedelta(hours=6)))
    db.session.commit()
    assert _etat(due_today) == EtatFiche.CREE  # the manual run worked on another day

    ran = schedule.catch_up_missed_runs(_noon_today())

    assert set(ran) == {job.name for job in schedule.DAILY}
    assert ran["archive_due_actions"]["archivees"] == 1 and _etat(due_today) == EtatFiche.ARCHIVE
    assert _runs("archive_due_actions") == [(another, "done"), (today, "done")]
    assert schedule.catch_up_missed_runs(_noon_today()) == {}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(min_value=-400, max_value=400))
def test_only_a_run_for_today_counts_as_todays(app, offset):
    """Every daily job done for today except one, done for today + offset days (a manual run
    made today): the catch-up runs that one, and only it, unless the offset is zero."""
    db.session.execute(delete(JobRun))
    today, now = runtime.today(), utcnow()
    for job in schedule.DAILY:
        day = today + timedelta(days=offset) if job.name == "purge_throttle_events" else today
        db.session.add(JobRun(job_name=job.name, run_date=day, started_at=now, finished_at=now, status="done"))
    db.session.commit()

    ran = schedule.catch_up_missed_runs(_noon_today())

    assert set(ran) == (set() if offset == 0 else {"purge_throttle_events"})


def test_a_run_for_today_that_failed_or_started_yesterday_does_not_count(app):
    """Only a successful run started today counts: a failed one, or one for today made the day
    before (`--date` of the next day), leaves the job to the catch-up."""
    today, now = runtime.today(), utcnow()
    yesterday_noon = runtime.paris_midnight_utc(today) - timedelta(hours=12)
    rows = {"archive_due_actions": (now, "failed"), "send_archiving_reminders": (yesterday_noon, "done"),
            "inactivate_stale_actions": (now, "done"), "purge_throttle_events": (now, "done")}
    for name, (started, status) in rows.items():
        db.session.add(JobRun(job_name=name, run_date=today, started_at=started, finished_at=started, status=status))
    db.session.commit()

    assert set(schedule.catch_up_missed_runs(_noon_today())) == {"archive_due_actions", "send_archiving_reminders"}


def test_re_running_a_day_keeps_the_record_of_each_run(app, make):
    """The run that archived keeps its row and its figures when the same day runs again."""
    today = runtime.today()
    organisme = make.organisme()
    make.user("organisme", organismes=[organisme])
    _action_ending(make, organisme, rules.latest_end_archived_by(today))

    assert robot.archive_due_actions(today)["archivees"] == 1
    assert robot.archive_due_actions(today)["archivees"] == 0

    db.session.expire_all()
    runs = db.session.scalars(select(JobRun).where(JobRun.job_name == "archive_due_actions")
                              .order_by(JobRun.id)).all()
    assert [(r.run_date, r.status) for r in runs] == [(today, "done"), (today, "done")]
    assert '"archivees": 1' in runs[0].details and '"archivees": 0' in runs[1].details
    assert runs[0].finished_at <= runs[1].started_at


def test_housekeeping_purges_old_runs_but_keeps_each_jobs_latest(app):
    now = utcnow()
    old = now - runtime.RUNS_KEPT - timedelta(days=1)
    rows = [("send_outbox", old), ("send_outbox", old), ("send_outbox", now - timedelta(days=1)),
            ("archive_due_actions", old)]  # a job that has not run since: its last run stays shown
    for name, started in rows:
        db.session.add(JobRun(job_name=name, run_date=started.date(), started_at=started, status="done"))
    db.session.commit()

    assert housekeeping.purge_throttle_events()["executions_de_taches_supprimees"] == 2

    db.session.expire_all()
    kept = db.session.execute(select(JobRun.job_name, JobRun.started_at).order_by(JobRun.id)).all()
    assert [tuple(row) for row in kept] == [("send_outbox", now - timedelta(days=1)), ("archive_due_actions", old),
                                            ("purge_throttle_events", kept[-1][1])]
