"""Partner API: session look-up only while diffusable, search filters, pagination, rate limit, OpenAPI."""
import logging
import os
import subprocess
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from werkzeug.serving import make_server

from backoffice.extensions import db
from backoffice.models import Dispositif, IdentifierCounter
from tests.lheo_helpers import REPO, enable_partner, publish, rich_offer, save, simple_offer


def test_session_lookup_answers_only_while_the_action_is_diffusable(app, client, make):
    """A partner (France Travail) looks a session up: its SE_ number is answered while its action is
    diffusable, 404 after."""
    action = simple_offer(make, intitule="Préparation au TOEIC")
    session = action.sessions[0]
    response = client.get(f"/api/v1/sessions/{session.numero}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["numero"] == session.numero and body["action"]["numero"] == action.numero
    assert body["action"]["organisme"]["numero"] == action.organisme.numero
    assert (body["date_debut"], body["modalite"], body["duree_totale"]) == (session.date_debut.isoformat(),
                                                                            "presentiel", 350)
    late = make.session(action, date_debut=date(2027, 10, 4))
    action.controle = "a_controler"  # modified after the visa: still diffusable, new session not visé yet
    save(action)
    assert client.get(f"/api/v1/sessions/{session.numero}").status_code == 200
    assert client.get(f"/api/v1/sessions/{late.numero}").status_code == 404
    action.publication, action.etat_fiche = "archive", "archive"
    save(action)
    gone = client.get(f"/api/v1/sessions/{session.numero}")
    assert gone.status_code == 404 and gone.is_json and gone.get_json()["erreur"]
    for numero in ("SE_0000000000", "AF_0000000001", "se_0000000001", "x" * 300):
        assert client.get(f"/api/v1/sessions/{numero}").status_code == 404
    hidden = make.action(intitule="Jamais diffusée")
    assert client.get(f"/api/v1/sessions/{make.session(hidden).numero}").status_code == 404


def test_search_filters_and_pagination(app, client, make):
    """Every filter narrows the diffusable offer; pages are bounded and linked; bad input is a JSON 400."""
    rich = rich_offer(make)  # Montreuil (93), apprentissage + FOAD, certification, Formacodes, NSF
    paris = simple_offer(make, intitule="Comptabilité paie")  # Paris (75), no dispositif
    hidden = make.action(intitule="Comptabilité confidentielle")
    make.session(hidden)

    def found(**params):
        response = client.get("/api/v1/offres", query_string=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [offer["numero"] for offer in response.get_json()["resultats"]]

    assert found() == [rich.numero, paris.numero]
    assert found(q="comptabilit") == [paris.numero]
    assert found(departement="93") == [rich.numero] and found(departement="75") == [paris.numero]
    assert found(formacode=rich.formacodes[0].code) == [rich.numero]
    assert found(nsf=rich.nsfs[0].code) == [rich.numero]
    code = rich.certifications[0].code_rncp
    assert found(certification=code) == [rich.numero] == found(certification=code.removeprefix("RNCP"))
    assert found(dispositif="APPRENTISSAGE") == [rich.numero]
    assert found(debut_apres="2027-03-01") == [rich.numero] and found(fin_avant="2027-04-04") == [rich.numero, paris.numero]
    assert found(debut_apres="2027-03-01", departement="75") == []
    page = client.get("/api/v1/offres?par_page=1&page=1").get_json()
    assert (page["total"], page["pages"], len(page["resultats"])) == (2, 2, 1)
    assert "page=2" in page["suivant"]
    last = client.get(page["suivant"]).get_json()
    assert last["resultats"][0]["numero"] == paris.numero and last["suivant"] is None
    offer = page["resultats"][0]
    assert offer["eligible_cpf"] == rich.eligible_cpf and len(offer["sessions"]) == 4
    for query, parametre in (("par_page=101", "par_page"), ("page=0", "page"), ("debut_apres=demain", "debut_apres"),
                             ("q=" + "x" * 101, "q")):
        bad = client.get(f"/api/v1/offres?{query}")
        assert bad.status_code == 400 and bad.get_json()["parametre"] == parametre


def test_a_total_beyond_the_counted_bound_is_a_lower_bound_and_paging_goes_on(app, client, make, monkeypatch):
    """Past COUNT_CAP matches the total is the bound, said inexact, and "suivant" leads on while pages are full."""
    from backoffice.api import queries
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    offers = sorted([simple_offer(make, intitule=f"Soudure niveau {n}").numero for n in range(4)])
    first = client.get("/api/v1/offres?q=soudure&par_page=2").get_json()
    assert (first["total"], first["total_exact"], first["pages"]) == (2, False, 1)
    assert [o["numero"] for o in first["resultats"]] == offers[:2] and "page=2" in first["suivant"]
    second = client.get(first["suivant"]).get_json()
    assert [o["numero"] for o in second["resultats"]] == offers[2:]
    exact = client.get("/api/v1/offres?q=soudure&par_page=2&departement=00").get_json()
    assert (exact["total"], exact["total_exact"], exact["suivant"]) == (0, True, None)


def test_rate_limit_answers_429_with_retry_after(app, client, make):
    """Past the quota a client gets 429 + Retry-After; a partner key has its own, larger quota."""
    app.config.update(API_RATE_LIMIT=3, API_RATE_LIMIT_PARTNER=5)
    headers = enable_partner(app)
    statuses = [client.get("/api/v1/offres").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/sessions/SE_0000000001")
    assert limited.status_code == 429 and limited.is_json
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert [client.get("/api/v1/offres", headers=headers).status_code for _ in range(6)] == [200] * 5 + [429]


def test_api_is_read_only_json_everywhere(app, client):
    """Unknown paths and other methods answer JSON (404, 405 with Allow), without a CSRF token."""
    assert client.get("/api/v1/inconnu").get_json()["statut"] == 404
    response = client.post("/api/v1/offres", csrf=False)
    assert response.status_code == 405 and "GET" in response.headers["Allow"] and response.is_json


@pytest.fixture
def served(app, make):
    """The app with a few diffusable offers, served over HTTP on a free port (rate limit out of the way)."""
    app.config["API_RATE_LIMIT"] = 10**9
    # the first session gets the number used as example in openapi.yaml, so examples hit a 200
    db.session.execute(IdentifierCounter.__table__.update().where(IdentifierCounter.prefix == "SE")
                       .values(last_value=193352))
    db.session.commit()
    rich_offer(make)
    simple_offer(make, intitule="Anglais des affaires")
    apprentissage = db.session.query(Dispositif).filter_by(code="APPRENTISSAGE").one()
    action = make.action(intitule="Soudure")
    make.session(action, dispositif_id=apprentissage.id, duree_totale=Decimal("12.5"))
    publish(action)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_openapi_file_matches_the_running_app(served, tmp_path):
    """schemathesis (every check, every phase) finds no failure of openapi.yaml against the running app."""
    command = [str(REPO / ".venv" / "bin" / "schemathesis"), "run", str(REPO / "openapi.yaml"), "--url", served,
               "--checks", "all", "--max-examples", "60", "--workers", "1", "--seed", os.environ.get("API_FUZZ_SEED", "20261126"),
               "--report-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                            env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@pytest.mark.slow
def test_rate_limit_survives_a_redis_outage(app, client, redis_server, redis_url, caplog, monkeypatch):
    """Redis down: the API keeps answering (counted in the process's memory, the quota still
    applies), the outage is logged once; Redis back: the counts are shared in Redis again once
    the limiter tries it again."""
    from backoffice.api import ratelimit
    from backoffice.api.ratelimit import RateLimiter
    monkeypatch.setattr(ratelimit, "REDIS_RETRY", 0.2)
    app.config.update(API_RATE_LIMIT=3)
    app.extensions["api_rate_limiter"] = RateLimiter(redis_url)
    assert client.get("/api/v1/offres").status_code == 200
    assert redis_server.client().keys("api-rate:*")  # counted in Redis while it answers
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="backoffice.api.ratelimit"):
        statuses = [client.get("/api/v1/offres").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert [r.getMessage() for r in caplog.records].count(
        next(r.getMessage() for r in caplog.records if "ne répond pas" in r.getMessage())) == 1
    redis_server.start()
    redis_server.client().flushall()
    time.sleep(0.3)  # past REDIS_RETRY
    assert client.get("/api/v1/offres").status_code == 200
    assert redis_server.client().keys("api-rate:*")
