"""What operators see: every log line of a request carries the id sent back in X-Request-ID, a
refusal leaves a line with its reason, and GET /healthz tells each component's state."""
import logging
import re

import pytest
from rq.cron import CronScheduler

from backoffice import create_app
from backoffice.extensions import db
from backoffice.services.mail import queue_mail
from jobs import runtime
from jobs.outbox import send_outbox
from tests.conftest import app_config, login
from tests.integration.jobs_support import free_port

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PG = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
HEX_ID = re.compile(r"[0-9a-f]{32}")


def _lines_of(caplog, call):
    """The records logged while `call()` ran, and its response."""
    caplog.clear()
    response = call()
    return [r for r in caplog.records], response


@SQLITE
def test_every_line_of_a_request_carries_the_id_it_returns(app, client, make, caplog):
    """An admin's « Relancer » while Redis is down: the view's warning, the flashed refusal and the
    request line all carry the id of the X-Request-ID header; the next request gets another id."""
    caplog.set_level(logging.INFO)
    login(client, make.user("admin").identifiant)
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    records, response = _lines_of(caplog, lambda: client.post(
        "/admin/supervision/relancer", data={"job_id": "x", "queue": "default"}))
    assert response.status_code == 302
    request_id = response.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)
    messages = [r.getMessage() for r in records]
    assert any("relance impossible" in m for m in messages), messages
    assert any("refus affiché sur POST /admin/supervision/relancer : Redis est injoignable" in m for m in messages)
    assert any(m.startswith("POST /admin/supervision/relancer -> 302") for m in messages)
    assert {r.request_id for r in records} == {request_id}

    records, response = _lines_of(caplog, lambda: client.get("/connexion"))
    other = response.headers["X-Request-ID"]
    assert other != request_id and records and {r.request_id for r in records} == {other}


@SQLITE
def test_a_sane_incoming_id_is_reused_an_insane_one_replaced(client, caplog):
    caplog.set_level(logging.INFO)
    records, response = _lines_of(caplog, lambda: client.get("/connexion", headers={"X-Request-ID": "lb-7f3a.42:b"}))
    assert response.headers["X-Request-ID"] == "lb-7f3a.42:b" and {r.request_id for r in records} == {"lb-7f3a.42:b"}
    for insane in ("<script>alert(1)</script>", "a b", "x" * 300, "é"):
        records, response = _lines_of(caplog, lambda v=insane: client.get("/connexion", headers={"X-Request-ID": v}))
        given = response.headers["X-Request-ID"]
        assert given != insane and HEX_ID.fullmatch(given) and {r.request_id for r in records} == {given}


@SQLITE
def test_a_forbidden_post_and_a_csrf_refusal_are_logged_with_the_request_id(app, client, login_as, caplog):
    """A documentaliste's forbidden POST and a CSRF refusal each leave a warning with the request id."""
    caplog.set_level(logging.INFO)
    login_as("documentaliste")
    records, response = _lines_of(caplog, lambda: client.post("/admin/supervision/renvoyer", data={"outbox_id": "1"}))
    assert response.status_code == 403
    refused = [r for r in records if r.levelno == logging.WARNING and "access refused" in r.getMessage()]
    assert refused and refused[0].request_id == response.headers["X-Request-ID"]
    records, response = _lines_of(caplog, lambda: client.post("/admin/supervision/renvoyer", data={"outbox_id": "1"},
                                                              csrf=False))
    assert response.status_code == 400
    assert any("CSRF" in r.getMessage() and r.request_id == response.headers["X-Request-ID"] for r in records)


@SQLITE
def test_a_refused_save_is_logged_with_its_reason(client, make, caplog):
    """A documentaliste refuses a pré-inscription without a reason: the service's refusal shown
    to her is also a warning of the log, with the request's id."""
    from backoffice.models import EtatOrganisme
    organisme = make.organisme(etat=EtatOrganisme.BROUILLON)
    login(client, make.user("documentaliste").identifiant)
    records, response = _lines_of(caplog, lambda: client.post("/admin/preinscriptions/refuser/",
                                                              data={"id": organisme.id, "motif": "  "}))
    assert response.status_code == 302
    refusals = [r for r in records if r.getMessage().startswith("refus affiché sur POST /admin/preinscriptions/")]
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING
    assert "motif" in refusals[0].getMessage().lower() and refusals[0].request_id == response.headers["X-Request-ID"]


@SQLITE
def test_a_job_run_has_its_own_id_on_its_lines(app, caplog):
    caplog.set_level(logging.INFO)
    queue_mail(db.session, "of@test.fr", "Bienvenue", "Bonjour")
    db.session.commit()
    caplog.clear()
    send_outbox()
    done = [r for r in caplog.records if r.getMessage().startswith("job send_outbox")]
    assert done and done[0].request_id.startswith("send_outbox-")


# ------------------------------------------------------------------ /healthz

@SQLITE
def test_healthz_embedded_mode_without_login(app, client):
    """No login, no Redis: the database answers, Redis is « absent », and the scheduler and the
    outbox are « en_retard » until a pass of the scheduler and a run of send_outbox are recorded."""
    queue_mail(db.session, "of@test.fr", "Bienvenue", "Bonjour")
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    parts = body["composants"]
    assert parts["base_de_donnees"] == {"statut": "ok"} and parts["redis"] == {"statut": "absent"}
    assert parts["planificateur"]["statut"] == "en_retard" and parts["planificateur"]["source"] == "mode embarqué"
    assert parts["courriels"]["statut"] == "en_retard" and parts["courriels"]["a_envoyer"] == 1
    assert body["statut"] == "degrade"

    send_outbox()
    runtime.record_run("catch_up_missed_runs", {"rattrapees": []})
    body = client.get("/healthz").get_json()
    parts = body["composants"]
    assert body["statut"] == "ok", body
    assert parts["courriels"]["derniere_execution"] == "done" and parts["courriels"]["a_envoyer"] == 0
    assert 0 <= parts["courriels"]["derniere_execution_il_y_a_s"] < 60
    assert parts["planificateur"]["statut"] == "ok" and parts["planificateur"]["dernier_signe_de_vie_il_y_a_s"] < 60


@PG
def test_healthz_with_redis_reads_the_rq_cron_heartbeat(app, client, redis_url):
    app.config["REDIS_URL"] = redis_url
    parts = client.get("/healthz").get_json()["composants"]
    assert parts["redis"] == {"statut": "ok"}
    assert parts["planificateur"] == {"statut": "en_retard", "source": "rq cron", "dernier_signe_de_vie_il_y_a_s": None}
    from redis import Redis
    scheduler = CronScheduler(connection=Redis.from_url(redis_url), name="cron-test")
    scheduler.register_birth()
    scheduler.heartbeat()
    parts = client.get("/healthz").get_json()["composants"]
    assert parts["planificateur"]["statut"] == "ok" and parts["planificateur"]["dernier_signe_de_vie_il_y_a_s"] < 60

    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 200  # the screens still work without Redis
    assert response.get_json()["composants"]["redis"] == {"statut": "hors_service"}
    assert response.get_json()["statut"] == "degrade"


@pytest.mark.parametrize("where", ["closed_port", "missing_database"])
def test_healthz_is_503_when_the_database_does_not_answer(tmp_path, where):
    """A PostgreSQL server that is not there, or a database that does not exist: 503, the database
    « hors_service », and nothing of the driver's message, the address or the URL in the answer."""
    url = (f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/dokelio" if where == "closed_port"
           else "postgresql+psycopg://postgres@127.0.0.1:5432/bo_absente_de_ce_serveur")
    app = create_app(app_config(url, tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["statut"] == "hors_service" and body["composants"]["base_de_donnees"] == {"statut": "hors_service"}
    assert body["composants"]["courriels"] == {"statut": "inconnu"}
    text = response.get_data(as_text=True)
    for secret in ("postgres", "127.0.0.1", "psycopg", "refused", "does not exist", "bo_absente"):
        assert secret not in text
    with app.app_context():
        db.engine.dispose()
