"""The LHEO upload with Redis: real private redis-server, real `rq worker` processes, PostgreSQL.
An upload is enqueued after its commit and run by a worker; an upload made while Redis is down
waits and runs once Redis is back (the periodic resume_imports); a worker killed in the middle of
an import loses nothing: the import is run again, each problem reported once."""
import os
import signal
import subprocess
import time

import psycopg
import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Action, ImportLheoProbleme, Organisme
from backoffice.services import lheo_imports as service
from jobs import lheo_import as job
from tests.integration.jobs_support import children, run_worker, worker_command, worker_env
from tests.integration.lheo_screen_support import BASE, ECRAN, import_id_of, row, upload

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]


def _env(app, database_url, redis_url, tmp_path) -> dict:
    env = worker_env(database_url, redis_url, tmp_path)
    env["LHEO_IMPORT_FOLDER"] = str(service.ImportSettings.from_config(app.config).folder)  # shared with the web
    return env


def _problem_count(import_id) -> int:
    return db.session.scalar(select(func.count()).select_from(ImportLheoProbleme)
                             .where(ImportLheoProbleme.import_id == import_id))


def test_upload_is_enqueued_after_its_commit_and_run_by_a_worker(app, client, login_as, redis_url, database_url,
                                                                  tmp_path):
    """With Redis: the upload answers at once, the import waits in the queue (0 %, en attente) and a
    real `rq worker --burst` runs it; the report is then complete."""
    app.config["REDIS_URL"] = redis_url
    login_as("documentaliste")
    import_id = import_id_of(upload(client, ECRAN.read_bytes(), source="ecran-rq"))
    queue = Queue("default", connection=Redis.from_url(redis_url))
    assert queue.job_ids == [service.job_id(import_id)]
    state = client.get(f"{BASE}/{import_id}/etat").get_json()
    assert (state["statut"], state["pourcentage"], state["termine"]) == ("en_attente", 0, False)
    assert "lheo-import-progress" in client.get(f"{BASE}/{import_id}/").get_data(as_text=True)

    run_worker(redis_url, _env(app, database_url, redis_url, tmp_path))
    done = row(import_id)
    assert (done.statut, done.octets_lus, done.message) == ("termine", done.taille, None)
    assert done.rejets >= 1 and _problem_count(import_id) == done.rejets + done.avertissements
    assert db.session.scalar(select(Action.identifiant_externe).where(Action.source == "ecran-rq")) == "ECRAN-FORM-1"
    assert len(FailedJobRegistry(queue=queue)) == 0 and queue.count == 0


def test_upload_while_redis_is_down_waits_then_runs_when_redis_is_back(app, client, login_as, redis_server,
                                                                        redis_url, database_url, tmp_path):
    """Redis down at upload: the file and the import are kept (en attente, the user is told), no
    error page; resume passes while Redis is down change nothing; once Redis is back, the periodic
    resume_imports (what `rq cron` enqueues every minute) hands it to a worker, which runs it."""
    app.config["REDIS_URL"] = redis_url
    login_as("documentaliste")
    redis_server.stop()
    response = upload(client, ECRAN.read_bytes(), source="ecran-panne")
    import_id = import_id_of(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "le serveur de traitement ne répond pas" in page and "lheo-import-progress" in page
    assert row(import_id).statut == "en_attente" and service.stored_path(
        service.ImportSettings.from_config(app.config), row(import_id).fichier_chemin) is not None
    assert job.resume_imports()["status"] == "failed"  # still down: recorded, nothing lost
    assert row(import_id).statut == "en_attente"

    redis_server.start()
    queue = Queue("default", connection=Redis.from_url(redis_url))
    queue.enqueue("jobs.lheo_import.resume_imports")
    run_worker(redis_url, _env(app, database_url, redis_url, tmp_path))  # resume, then the import it enqueued
    assert row(import_id).statut == "termine"
    assert db.session.scalar(select(func.count()).select_from(Action).where(Action.source == "ecran-panne")) == 1
    queue.enqueue("jobs.lheo_import.resume_imports")
    run_worker(redis_url, _env(app, database_url, redis_url, tmp_path))
    assert queue.count == 0 and row(import_id).statut == "termine"


def _backend_waiting(admin_dsn: str, dbname: str, timeout: float = 60) -> int:
    """The server process of the connection that waits for a row lock in this database."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            found = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                                 (dbname,)).fetchone()
            if found:
                return found[0]
            time.sleep(0.1)
    raise AssertionError("the import never reached the locked organisme")


def test_worker_killed_in_the_middle_of_an_import_then_resumed(app, client, login_as, make, redis_url,
                                                                database_url, tmp_path):
    """SIGKILL of the worker and its horse while the import waits inside a formation's transaction:
    the import stays en cours, its lock goes with the dead connection; resume_imports leaves it to
    RQ while RQ counts the job as started, then (the job declared dead) enqueues it again; a new
    worker imports the file to the end, each problem reported once."""
    app.config["REDIS_URL"] = redis_url
    login_as("documentaliste")
    # the feed's organisme, already imported under this source: the import updates it, and waits
    # for the row the blocker holds
    make.organisme(source="ecran-kill", identifiant_externe="ECRAN-ORG-1", raison_sociale="Ancien nom")
    dbname = database_url.rsplit("/", 1)[1]
    admin_dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    blocker = psycopg.connect(admin_dsn)
    blocker.execute("SELECT id FROM organisme WHERE identifiant_externe = 'ECRAN-ORG-1' FOR UPDATE")
    import_id = import_id_of(upload(client, ECRAN.read_bytes(), source="ecran-kill"))
    env = _env(app, database_url, redis_url, tmp_path)
    worker = subprocess.Popen(worker_command(redis_url, burst=True), env=env, cwd=str(tmp_path))
    try:
        backend_pid = _backend_waiting(admin_dsn, dbname)
        assert row(import_id).statut == "en_cours"
        settings = service.ImportSettings.from_config(app.config)
        assert job.is_running(import_id, settings)  # the horse holds the import's lock
        horses = children(worker.pid)
        assert horses
        for pid in horses + [worker.pid]:
            os.kill(pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        blocker.rollback()
        blocker.close()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:  # the dead client's session ends
        deadline = time.monotonic() + 30
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend_pid,)).fetchone():
            assert time.monotonic() < deadline, "the orphan backend did not end"
            time.sleep(0.1)
    assert row(import_id).statut == "en_cours" and not job.is_running(import_id, settings)
    assert db.session.scalar(select(Organisme.raison_sociale).where(
        Organisme.identifiant_externe == "ECRAN-ORG-1")) == "Ancien nom"  # rolled back

    queue = Queue("default", connection=Redis.from_url(redis_url))
    assert job.resume_imports()["relances"] == []  # RQ still counts the job as started
    started = StartedJobRegistry(queue=queue)
    started.cleanup(timestamp=time.time() + 3600)  # its heartbeat expired: RQ declares it dead
    assert len(FailedJobRegistry(queue=queue)) == 1
    assert job.resume_imports()["relances"] == [import_id]
    run_worker(redis_url, env)

    done = row(import_id)
    assert done.statut == "termine" and done.message is None
    assert _problem_count(import_id) == done.rejets + done.avertissements and done.rejets >= 1
    formacode = db.session.scalar(select(func.count()).select_from(ImportLheoProbleme).where(
        ImportLheoProbleme.import_id == import_id, ImportLheoProbleme.message.contains("99999")))
    assert formacode == 1
    assert db.session.scalar(select(Organisme.raison_sociale).where(
        Organisme.identifiant_externe == "ECRAN-ORG-1")) == "Langues Accueil Montreuil SARL"
    assert db.session.scalar(select(func.count()).select_from(Action).where(Action.source == "ecran-kill")) == 1
