"""The monitoring says when the scheduler or the outbox's sender stopped (the ages /healthz
computes, a red banner past five minutes) and resends every failed e-mail at once."""
import os
import re
import signal
import time
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import JobRun, Outbox
from backoffice.models.listeners import utcnow
from backoffice.services.mail import queue_mail
from jobs import runtime
from jobs.outbox import send_outbox
from tests.integration.jobs_support import (
    RedisServer,
    children,
    end_process,
    quick_beats,
    start_process,
    wait_until,
    worker_command,
    worker_env,
)

PAGE = "/admin/supervision/"


def _ran(name: str, ago: timedelta) -> None:
    started = utcnow() - ago
    db.session.add(JobRun(job_name=name, run_date=runtime.today(), started_at=started, finished_at=started,
                          status="done"))
    db.session.commit()


@pytest.mark.parametrize(("minutes", "shown"), [(6, "6 min"), (150, "2 h 30")])
def test_red_banner_when_the_last_outbox_run_is_older_than_five_minutes(client, login_as, minutes, shown):
    _ran("catch_up_missed_runs", timedelta(seconds=10))
    _ran("send_outbox", timedelta(minutes=minutes))
    login_as("admin")

    page = client.get(PAGE).get_data(as_text=True)

    assert 'id="outbox-run-late"' in page and "L&#39;envoi des courriels n&#39;a pas tourné depuis" in page
    assert f"depuis {shown} : les courriels attendent" in page
    assert 'id="scheduler-late"' not in page  # its heartbeat is fresh


def test_no_banner_when_the_scheduler_and_the_outbox_ran_just_now(client, login_as):
    _ran("catch_up_missed_runs", timedelta(minutes=4))
    send_outbox()  # the real job records its own run
    login_as("admin")

    page = client.get(PAGE).get_data(as_text=True)

    assert 'id="heartbeats"' in page and "alert-danger" not in page
    assert "Dernier signe de vie du planificateur (mode embarqué) : <span id=\"scheduler-age\">il y a 4 min" in page


def test_red_banner_when_the_scheduler_is_gone_or_never_ran(client, login_as):
    login_as("admin")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Le planificateur n&#39;a jamais donné signe de vie" in page
    assert "L&#39;envoi des courriels n&#39;a jamais tourné" in page

    _ran("catch_up_missed_runs", timedelta(minutes=5, seconds=30))
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="scheduler-late"' in page and "ne donne plus signe de vie depuis 5 min" in page


def _mail(state: str) -> int:
    row = queue_mail(db.session, "of@test.fr", f"Objet {state}", "Bonjour")
    now = utcnow()
    if state == "failed":
        row.attempts, row.failed_at, row.last_error = 3, now, "Destinataires refusés (définitif)"
    elif state == "sent":
        row.attempts, row.sent_at = 1, now
    db.session.commit()
    return row.id


def _states() -> dict[int, tuple]:
    db.session.expire_all()
    return {r.id: (r.attempts, r.failed_at is None, r.sent_at is None)
            for r in db.session.scalars(select(Outbox).order_by(Outbox.id))}


def test_resend_all_failures_requeues_every_failed_mail(client, login_as):
    failed = [_mail("failed") for _ in range(3)]
    pending, sent = _mail("pending"), _mail("sent")
    login_as("admin")
    assert "Renvoyer tous les échecs" in client.get(PAGE).get_data(as_text=True)
    assert client.post(f"{PAGE}renvoyer-echecs", csrf=False).status_code == 400  # no CSRF token
    assert all(_states()[i][1] is False for i in failed)

    response = client.post(f"{PAGE}renvoyer-echecs", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Les 3 courriels en échec ont été remis en file d&#39;envoi." in page
    states = _states()
    assert {i: states[i] for i in failed} == {i: (0, True, True) for i in failed}  # back in the queue
    assert states[pending] == (0, True, True) and states[sent] == (1, True, False)  # untouched
    assert len(states) == 5  # an unsent mail is requeued, never copied
    assert "Renvoyer tous les échecs" not in page  # none left
    assert "Aucun courriel en échec" in client.post(f"{PAGE}renvoyer-echecs",
                                                     follow_redirects=True).get_data(as_text=True)


def test_resend_all_failures_refused_to_a_role_that_may_not_resend(client, login_as):
    failed = _mail("failed")
    login_as("documentaliste")

    assert client.post(f"{PAGE}renvoyer-echecs").status_code == 403

    assert _states()[failed] == (3, False, True)  # still in failure


# ------------------------------------------------------------------ workers judged by their heartbeat

def _workers_shown(client) -> tuple[int, str]:
    page = client.get(PAGE).get_data(as_text=True)
    alive = re.search(r'<span id="workers-alive">(\d+)</span>', page)
    return (int(alive.group(1)) if alive else -1), page


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_killed_worker_is_shown_dead_and_a_redis_restart_does_not_hide_the_live_one(
        app, client, login_as, database_url, tmp_path):
    """Two real workers beating every 2 s; one, busy, is killed with SIGKILL: within its heartbeat
    and margin (7 s) the page shows it « arrêté / ne répond plus », not « occupé », and counts one
    live worker. Redis then restarts empty: the live worker is counted again within seconds."""
    server = RedisServer(tmp_path / "redis-workers").start()
    app.config["REDIS_URL"] = server.url
    env = worker_env(database_url, server.url, tmp_path)
    busy = start_process(worker_command(server.url, False, *quick_beats(2), queue="lente"), env,
                         tmp_path / "busy.log")
    idle = start_process(worker_command(server.url, False, *quick_beats(2)), env, tmp_path / "idle.log")
    try:
        login_as("admin")
        wait_until(lambda: _workers_shown(client)[0] == 2, 60, "two live workers shown")
        Queue("lente", connection=server.client()).enqueue("time.sleep", 120)
        wait_until(lambda: "(occupé)" in _workers_shown(client)[1], 30, "the busy worker shown busy")

        for pid in children(busy.pid) + [busy.pid]:
            os.kill(pid, signal.SIGKILL)
        busy.wait(10)
        killed_at = time.monotonic()
        count, page = wait_until(lambda: (lambda shown: shown if shown[0] == 1 else None)(_workers_shown(client)),
                                 30, "the killed worker judged dead")
        assert time.monotonic() - killed_at < 15  # heartbeat 2 s + margin 5 s, and the pages under load
        dead = re.findall(r'<small class="worker-dead text-danger">(.*?)</small>', page, re.DOTALL)
        assert len(dead) == 1 and "arrêté / ne répond plus depuis" in dead[0], page
        assert "passera en échec" in dead[0] and "(occupé)" not in page
        assert 'id="no-worker"' not in page
        workers = client.get("/healthz").get_json()["composants"]["workers"]
        assert workers == {"statut": "ok", "actifs": 1, "ne_repondent_plus": 1}

        server.stop()
        server.start()  # empty: the killed worker's hash is gone, the live one must register again
        wait_until(lambda: _workers_shown(client)[0] == 1, 30, "the live worker counted after the restart")
        page = _workers_shown(client)[1]
        assert "worker-dead" not in page and "en attente de tâches" in page
        end_process(idle)  # stopped cleanly: it leaves the list, and nothing runs the queue any more
        count, page = _workers_shown(client)
        assert count == 0 and 'id="no-worker"' in page
        assert client.get("/healthz").get_json()["composants"]["workers"] == {
            "statut": "hors_service", "actifs": 0, "ne_repondent_plus": 0}
    finally:
        end_process(busy)
        end_process(idle)
        server.stop()
