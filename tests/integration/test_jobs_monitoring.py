"""Supervision des tâches (admins only) and Redis going down while a user saves something."""
import time

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Outbox
from backoffice.services.mail import queue_mail
from jobs import robot
from tests.conftest import login
from tests.integration.jobs_support import RedisServer, run_worker, worker_env

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _failed_row(subject="Bienvenue") -> Outbox:
    row = queue_mail(db.session, "of@test.fr", subject, "Bonjour")
    row.attempts, row.failed_at = 1, row.created_at
    row.last_error = "Destinataires refusés (définitif) : of@test.fr : 550 5.1.1 Utilisateur inconnu"
    db.session.commit()
    return row


def test_only_admins_see_the_monitoring(client, login_as, app, make):
    """A documentaliste gets 403, an anonymous visitor the login page, an admin the page (here in
    embedded mode: no Redis, the outbox and the schedule still shown)."""
    assert client.get("/admin/supervision/").status_code == 302
    login_as("documentaliste")
    assert client.get("/admin/supervision/").status_code == 403
    assert client.post("/admin/supervision/renvoyer", data={"outbox_id": "1"}).status_code == 403
    _failed_row()
    admin_client = app.test_client()
    login(admin_client, make.user("admin").identifiant)
    page = admin_client.get("/admin/supervision/").get_data(as_text=True)
    assert "Mode embarqué" in page and "En échec : 1" in page and "Jamais exécutée." in page


@pytest.mark.slow
def test_admin_sees_queues_failed_jobs_runs_and_outbox_and_requeues(client, login_as, app, redis_url, database_url,
                                                                   tmp_path):
    """The page lists queues, a failed job (requeued by POST with CSRF), the last run of each
    periodic job and the outbox; "Renvoyer" puts a failed mail back in the queue."""
    app.config["REDIS_URL"] = redis_url
    queue = Queue("default", connection=Redis.from_url(redis_url))
    queue.enqueue("jobs.robot.archive_due_actions", "pas-une-date")
    run_worker(redis_url, worker_env(database_url, redis_url, tmp_path))
    robot.archive_due_actions("2027-03-01")
    row = _failed_row()
    login_as("admin")

    page = client.get("/admin/supervision/").get_data(as_text=True)
    assert 'id="queues"' in page and "jobs.robot.archive_due_actions" in page and "ValueError" in page
    assert "01/03/2027" in page and "Terminée" in page and "En échec : 1" in page and "Bienvenue" in page
    queue.empty()  # the send_outbox enqueued after _failed_row's commit
    job_id = FailedJobRegistry(queue=queue).get_job_ids()[0]
    assert client.post("/admin/supervision/relancer", data={"job_id": job_id, "queue": "default"},
                       csrf=False).status_code == 400  # no CSRF token
    response = client.post("/admin/supervision/relancer", data={"job_id": job_id, "queue": "default"})
    assert response.status_code == 302 and queue.count == 1 and len(FailedJobRegistry(queue=queue)) == 0

    queue.empty()
    assert client.post("/admin/supervision/renvoyer", data={"outbox_id": str(row.id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Outbox, row.id).attempts == 0
    assert queue.count == 1  # send_outbox enqueued after the commit


@pytest.mark.slow
def test_redis_down_during_an_edit_saves_it_and_the_mail_goes_out_when_redis_returns(
        client, login_as, app, tmp_path, smtp, database_url):
    """Redis stopped: a visitor's contact message and an admin's "Renvoyer" are saved with no
    error shown (the monitoring even says Redis is unreachable); once Redis is back the periodic
    send_outbox delivers both mails, once each."""
    server = RedisServer(tmp_path / "redis-edit").start()
    try:
        app.config["REDIS_URL"] = server.url
        row = _failed_row("Votre inscription est validée")
        server.stop()

        started = time.monotonic()
        response = client.post("/contact", data={
            "sujet": "apprentissage", "nom": "Paul Martin", "courriel": "paul.martin@of-test.fr",
            "organisme": "OF Test", "message": "Comment déclarer une session en apprentissage ?"})
        assert response.status_code == 200 and time.monotonic() - started < 5
        assert "Votre message a bien été transmis" in response.get_data(as_text=True)
        team = app.config["TEAM_MAILBOXES"]["apprentissage"]
        assert db.session.scalar(select(Outbox.id).where(Outbox.recipients == team)) is not None

        login_as("admin")
        started = time.monotonic()
        response = client.post("/admin/supervision/renvoyer", data={"outbox_id": str(row.id)},
                               follow_redirects=True)
        assert response.status_code == 200 and time.monotonic() - started < 5
        page = response.get_data(as_text=True)
        assert "remis en file" in page and "Redis est injoignable" in page
        db.session.expire_all()
        assert db.session.get(Outbox, row.id).attempts == 0 and db.session.get(Outbox, row.id).sent_at is None

        server.start()  # back, empty: the enqueue of the edit was lost, the outbox row was not
        queue = Queue("default", connection=server.client())
        assert queue.count == 0
        queue.enqueue("jobs.outbox.send_outbox")  # what `rq cron` enqueues every minute
        run_worker(server.url, worker_env(database_url, server.url, tmp_path, smtp.port))
        assert sorted(m["To"] for m in smtp.messages) == sorted(["of@test.fr", team])
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))) == 0
    finally:
        server.stop()
