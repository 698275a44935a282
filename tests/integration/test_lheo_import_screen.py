"""« Importer un flux LHEO »: the upload, the job run in the web process (embedded mode, no Redis),
the report page, its JSON state and CSV, the refusals at the field, who may see what, and the job's
idempotence. The Redis and worker side: test_lheo_import_rq.py."""
import json
import os
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Action, ImportLheo, ImportLheoProbleme
from backoffice.models.listeners import utcnow
from backoffice.services import lheo_imports as service
from jobs import lheo_import as job
from tests.conftest import login
from tests.integration.lheo_screen_support import BASE, ECRAN, csv_rows, feed, import_id_of, row, upload, wait_finished

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _folder(app):
    return service.ImportSettings.from_config(app.config).folder


def _stored_files(app) -> list[str]:
    folder = _folder(app)
    return sorted(n for n in os.listdir(folder) if n.endswith(".xml")) if folder.is_dir() else []


def _import_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ImportLheo))


def test_upload_runs_in_the_background_and_reports_each_rejected_element(app, client, login_as):
    """A documentaliste uploads a valid LHEO file with an unknown Formacode: the page answers at
    once (en attente / en cours), the import runs in a thread of the web process, then the report
    shows the counts, the rejected code with its line, path and formation, and the CSV holds it."""
    user = login_as("documentaliste")
    response = upload(client, ECRAN.read_bytes(), source="  Flux   écran  ", filename="../../tmp/offre.xml")
    import_id = import_id_of(response)
    page = client.get(f"{BASE}/{import_id}/", follow_redirects=True)
    assert page.status_code == 200 and "son import commence" in page.get_data(as_text=True)

    state = wait_finished(client, import_id)
    assert (state["statut"], state["pourcentage"], state["formations_lues"]) == ("termine", 100, 1)
    assert state["rejets"] >= 1
    imported = row(import_id)
    assert (imported.source, imported.fichier_nom, imported.user_id) == ("Flux écran", "offre.xml", user.id)
    assert imported.octets_lus == imported.taille == len(ECRAN.read_bytes())
    assert imported.started_at and imported.finished_at >= imported.started_at and imported.message is None
    counts = json.loads(imported.compteurs)
    assert counts["formations_lues"] == 1 and counts["actions_creees"] == 1
    action = db.session.scalar(select(Action).where(Action.source == "Flux écran"))
    assert action.identifiant_externe == "ECRAN-FORM-1" and {f.code for f in action.formacodes} == {"15234"}

    problems = db.session.scalars(select(ImportLheoProbleme).where(ImportLheoProbleme.import_id == import_id)).all()
    assert len(problems) == imported.rejets + imported.avertissements
    formacode = next(p for p in problems if "99999" in p.message)
    assert formacode.gravite == "rejet" and formacode.formation == "ECRAN-FORM-1"
    assert formacode.ligne == 10 and formacode.chemin.endswith("/domaine-formation/code-FORMACODE")

    report = client.get(f"{BASE}/{import_id}/").get_data(as_text=True)
    assert "Actions créées" in report and "Formations lues" in report and "99999" in report
    assert "lheo-import-progress" not in report  # finished: no progress bar any more
    with app.test_request_context():
        assert url_for("actions.index_view", f_source="Flux écran") in report.replace("&amp;", "&")
    rows = csv_rows(client.get(f"{BASE}/{import_id}/rapport.csv"))
    assert rows[0] == service.REPORT_HEADER
    assert ["Rejet", "10", formacode.chemin, "ECRAN-FORM-1", formacode.message] in rows
    listing = client.get(f"{BASE}/").get_data(as_text=True)
    assert "offre.xml" in listing and "Flux écran" in listing and "Terminé" in listing


@SQLITE_ONLY
def test_refused_uploads_are_told_at_the_field_and_leave_nothing(app, client, login_as):
    """No file, an empty file, a PDF named .xml, a blank or too long source: the form comes back
    (400) with the French reason under the field; no import is recorded and no file is kept."""
    login_as("documentaliste")
    cases = [
        (None, "ecran", "fichier", service.NO_FILE),
        (b"", "ecran", "fichier", service.EMPTY_FILE),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n", "ecran", "fichier", service.NOT_XML),
        (b"\xef\xbb\xbf  texte <lheo/>", "ecran", "fichier", service.NOT_XML),
        (ECRAN.read_bytes(), "   ", "source", service.SOURCE_REQUIRED),
        (ECRAN.read_bytes(), "s" * 61, "source", service.SOURCE_TOO_LONG),
    ]
    for content, source, field, message in cases:
        response = upload(client, content, source=source)
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (field, message)
        assert f'data-field="{field}"' in body and message.replace("'", "&#39;") in body, (field, message)
    assert _import_count() == 0 and _stored_files(app) == []


@SQLITE_ONLY
def test_a_file_over_the_limit_is_refused_in_french_whatever_its_size(app, client, login_as, make):
    """Over LHEO_IMPORT_MAX_BYTES: refused at the field, while being copied (400) or, far over, before
    the body is read (413); the upload screen's limit is a documentaliste's own, past the app's
    MAX_CONTENT_LENGTH: a visitor or an organisme user sending as much is refused before."""
    login_as("documentaliste")
    app.config["LHEO_IMPORT_MAX_BYTES"] = 2000
    message = service.too_large_message(2000)
    assert message == "Le fichier dépasse la taille maximale de 2 Ko."
    for content, status in ((ECRAN.read_bytes(), 400), (b"<lheo>" + b" " * 200_000 + b"</lheo>", 413)):
        response = upload(client, content)
        assert response.status_code == status and message in response.get_data(as_text=True)
    app.config["LHEO_IMPORT_MAX_BYTES"] = 12 * 1024 * 1024  # more than MAX_CONTENT_LENGTH (8 Mo)
    big = ECRAN.read_bytes().replace(b"<offres>", b"<offres>" + b" " * (9 * 1024 * 1024), 1)
    others = [(app.test_client(), None), (app.test_client(), make.user("organisme", organismes=[make.organisme()]))]
    for other, user in others:  # theirs keep the app's limit: refused before the body is read
        if user is not None:
            login(other, user.identifiant)
        response = upload(other, big)
        assert (response.status_code, response.headers.get("Location", "/connexion")[:10]) == (
            403 if user else 302, "/connexion"), response.status_code
    assert _import_count() == 0
    import_id = import_id_of(upload(client, big))
    assert wait_finished(client, import_id)["statut"] == "termine"
    assert _import_count() == 1 and len(_stored_files(app)) == 1


@SQLITE_ONLY
def test_the_upload_needs_its_csrf_token(app, client, login_as):
    """The upload keeps the app's CSRF check (its own size limit is set before it): no token or a
    forged one, 400 and nothing recorded."""
    login_as("documentaliste")
    for token in (None, "forge"):
        data = {"source": "ecran", "fichier": (open(ECRAN, "rb"), "flux.xml")}
        if token:
            data["csrf_token"] = token
        response = client.post(f"{BASE}/importer", data=data, content_type="multipart/form-data", csrf=False)
        assert response.status_code == 400
    assert _import_count() == 0 and _stored_files(app) == []


def _finished_import(**values) -> ImportLheo:
    imported = ImportLheo(**{"source": "ecran", "fichier_nom": "flux.xml", "taille": 10, "statut": "termine",
                             "created_at": utcnow(), "finished_at": utcnow(),
                             "compteurs": json.dumps({"formations_lues": 3}), **values})
    db.session.add(imported)
    db.session.commit()
    return imported


@SQLITE_ONLY
def test_report_lists_rejections_first_paged_and_the_csv_is_formula_safe(app, client, login_as):
    """Problems: rejections before warnings, in file order, 50 a page; the CSV holds them all in the
    same order, UTF-8 with BOM and ';', every cell a spreadsheet would run as a formula defused."""
    login_as("documentaliste")
    imported = _finished_import(rejets=60, avertissements=2)
    rows = [ImportLheoProbleme(import_id=imported.id, ligne=n, chemin=f"/lheo/offres/formation/x{n}",
                               formation="=HYPERLINK(\"http://x\")" if n == 1 else f"F{n}",
                               gravite="avertissement" if n in (1, 2) else "rejet",
                               message="-2+3 : élément ignoré" if n == 3 else f"raison {n}")
            for n in range(1, 63)]
    db.session.add_all(rows)
    db.session.commit()
    first = client.get(f"{BASE}/{imported.id}/").get_data(as_text=True)
    assert first.count('data-gravite="rejet"') == 50 and 'data-gravite="avertissement"' not in first
    second = client.get(f"{BASE}/{imported.id}/?page=1").get_data(as_text=True)
    assert second.count('data-gravite="rejet"') == 10 and second.count('data-gravite="avertissement"') == 2
    lines = csv_rows(client.get(f"{BASE}/{imported.id}/rapport.csv"))
    assert [r[1] for r in lines[1:]] == [str(n) for n in range(3, 63)] + ["1", "2"]
    assert lines[1][4] == "'-2+3 : élément ignoré"
    assert lines[-2][3] == "'=HYPERLINK(\"http://x\")" and lines[-2][0] == "Avertissement"
    response = client.get(f"{BASE}/{imported.id}/rapport.csv")
    assert response.mimetype == "text/csv"
    assert f'filename="rapport-import-lheo-{imported.id}.csv"' in response.headers["Content-Disposition"]


def _routes(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith("imports_lheo.")),
                  key=lambda r: r.rule)


@SQLITE_ONLY
def test_only_documentalistes_reach_the_imports(app, client, make):
    """Every route of the screen, found in the URL map, with an existing import: 403 for an
    organisme user (even the uploader's organisme), a financeur, support and an admin, nothing of
    the import in the answer and nothing written; the login page for a visitor; a documentaliste
    gets 404 for an unknown import."""
    organisme = make.organisme()
    doc = make.user("documentaliste")
    imported = _finished_import(user_id=doc.id, rejets=1)
    imported.fichier_nom, imported.source = "flux-secret-zorglub.xml", "source-secrete-zorglub"
    db.session.add(ImportLheoProbleme(import_id=imported.id, ligne=4, chemin="/lheo", gravite="rejet",
                                      message="raison secrète zorglub", formation="F1"))
    db.session.commit()
    routes = _routes(app)
    assert {r.endpoint.split(".")[1] for r in routes} >= {"index", "upload", "report", "state", "report_csv",
                                                         "restart"}

    def urls(import_id):
        with app.test_request_context():
            return [(url_for(r.endpoint, **({"import_id": import_id} if "import_id" in r.arguments else {})),
                     sorted(m for m in r.methods if m in ("GET", "POST"))) for r in routes]

    users = [make.user("organisme", organismes=[organisme]), make.user("financeur"), make.user("support"),
             make.user("admin")]
    for user in users:
        other = app.test_client()
        login(other, user.identifiant)
        for url, methods in urls(imported.id):
            for method in methods:
                response = other.open(url, method=method, data={"source": "x"} if method == "POST" else None)
                assert response.status_code == 403, (user.role_code, method, url, response.status_code)
                assert "zorglub" not in response.get_data(as_text=True)
    for url, methods in urls(imported.id):
        for method in methods:
            response = app.test_client().open(url, method=method, data={"source": "x"} if method == "POST" else None)
            assert response.status_code == 302 and "/connexion" in response.headers["Location"], url
    login(client, doc.identifiant)
    for url, methods in urls(imported.id + 1000):
        if f"/{imported.id + 1000}/" in url:
            for method in methods:
                assert client.open(url, method=method).status_code == 404, (method, url)
    assert _import_count() == 1 and row(imported.id).statut == "termine"


def test_run_twice_does_nothing_more_and_an_interrupted_run_starts_again(app, client, login_as):
    """run_import of a finished import changes nothing; an import left en_cours by a killed run
    (with the problems it had written) runs again from the start: same counts, each problem once."""
    login_as("documentaliste")
    import_id = import_id_of(upload(client, ECRAN.read_bytes()))
    wait_finished(client, import_id)
    done = row(import_id)
    before = (done.compteurs, done.rejets, done.avertissements, done.finished_at)
    problems = db.session.scalar(select(func.count()).select_from(ImportLheoProbleme))
    assert job.run_import(import_id) == {"import": import_id, "statut": "termine"}
    again = row(import_id)
    assert (again.compteurs, again.rejets, again.avertissements, again.finished_at) == before
    assert db.session.scalar(select(func.count()).select_from(ImportLheoProbleme)) == problems

    again.statut, again.finished_at, again.octets_lus = "en_cours", None, 100  # a worker killed here
    db.session.commit()
    result = job.run_import(import_id)
    assert result["statut"] == "termine" and result["actions_inchangees"] == 1  # the merge found it
    rerun = row(import_id)
    assert (rerun.statut, rerun.rejets, rerun.avertissements) == ("termine", *before[1:3])
    assert rerun.started_at == done.started_at  # the first start, for the give-up delay
    assert db.session.scalar(select(func.count()).select_from(ImportLheoProbleme)) == problems
    assert db.session.scalar(select(func.count()).select_from(Action).where(Action.source == "ecran-test")) == 1


def test_an_import_being_run_is_not_run_a_second_time(app, make):
    """While a run holds an import's lock (another worker), run_import returns without touching it."""
    user = make.user("documentaliste")
    settings = service.ImportSettings.from_config(app.config)
    with open(ECRAN, "rb") as stream:
        imported = service.start_import(db.session, user, stream, "flux.xml", "ecran", False, False, settings)
    with job.holding(imported.id, settings) as got:
        assert got and job.is_running(imported.id, settings)
        assert job.run_import(imported.id)["statut"] == "deja_en_cours"
        assert row(imported.id).statut == "en_attente"
    assert not job.is_running(imported.id, settings)
    assert job.run_import(imported.id)["statut"] == "termine"


@SQLITE_ONLY
def test_resume_starts_waiting_imports_and_gives_up_on_endless_ones(app, make):
    """Embedded mode: resume_imports runs an import that waits with nothing running it; an import
    en_cours since more than a day, that nothing runs, ends in échec with a French message; a
    missing file ends in échec too."""
    user = make.user("documentaliste")
    settings = service.ImportSettings.from_config(app.config)
    with open(ECRAN, "rb") as stream:
        waiting = service.start_import(db.session, user, stream, "flux.xml", "ecran", False, False, settings)
    stale = _finished_import(statut="en_cours", started_at=utcnow() - timedelta(hours=25), finished_at=None)
    lost = _finished_import(statut="en_attente", finished_at=None, fichier_chemin="0" * 32 + ".xml")
    result = job.resume_imports()
    assert result["abandonnes"] == [stale.id] and sorted(result["relances"]) == [waiting.id, lost.id]
    assert row(stale.id).statut == "echec" and row(stale.id).message == job.INTERRUPTED
    client = app.test_client()
    login(client, user.identifiant)
    assert wait_finished(client, waiting.id)["statut"] == "termine"
    assert wait_finished(client, lost.id)["message"] == job.MISSING_FILE
    assert job.resume_imports() == {"relances": [], "abandonnes": []}


@SQLITE_ONLY
def test_a_failed_import_can_be_restarted_by_a_documentaliste(app, client, login_as):
    """« Relancer l'import » on an import in échec runs it again; on a finished one it is refused."""
    login_as("documentaliste")
    import_id = import_id_of(upload(client, ECRAN.read_bytes()))
    wait_finished(client, import_id)
    refused = client.post(f"{BASE}/{import_id}/relancer", follow_redirects=True)
    assert service.NOT_RESTARTABLE.replace("'", "&#39;") in refused.get_data(as_text=True)
    failed = row(import_id)
    failed.statut, failed.message = "echec", job.CRASHED
    db.session.commit()
    assert f'action="{BASE}/{import_id}/relancer"' in client.get(f"{BASE}/{import_id}/").get_data(as_text=True)
    assert client.post(f"{BASE}/{import_id}/relancer").status_code == 302
    assert wait_finished(client, import_id)["statut"] == "termine" and row(import_id).message is None


def test_strict_mode_writes_nothing_and_still_reports_every_rejection(app, client, login_as):
    """« Mode strict » with rejected elements: the import ends (terminé) with a French message,
    writes no organisme, action or session, and its report still lists every rejection. On SQLite
    the strict import is one transaction: its progress, reported after 20 formations, waits for
    its end instead of waiting for it."""
    login_as("documentaliste")
    import_id = import_id_of(upload(client, feed(21), source="ecran-strict", strict=True))
    state = wait_finished(client, import_id)
    assert state["statut"] == "termine" and state["message"] == job.NOTHING_WRITTEN
    imported = row(import_id)
    assert imported.strict and imported.rejets >= 21 and json.loads(imported.compteurs)["formations_lues"] == 21
    assert db.session.scalar(select(func.count()).select_from(ImportLheoProbleme).where(
        ImportLheoProbleme.import_id == import_id, ImportLheoProbleme.message.contains("99999"))) == 21
    assert db.session.scalar(select(func.count()).select_from(Action).where(Action.source == "ecran-strict")) == 0
    page = client.get(f"{BASE}/{import_id}/").get_data(as_text=True)
    assert "99999" in page and "Mode strict" in page and "alert-warning" in page


@SQLITE_ONLY
def test_the_carif_oref_option_lifts_the_perimeter_check(app, client, login_as):
    """A session in Quimper: rejected by a plain import (with its reason in the report), kept when
    the documentaliste ticks « flux d'un Carif-Oref : sans contrôle du périmètre »."""
    login_as("documentaliste")
    quimper = ECRAN.read_bytes().replace(
        b"<codepostal>93100</codepostal><ville>Montreuil</ville>\n          <departement>93</departement>",
        b"<codepostal>29000</codepostal><ville>Quimper</ville>\n          <departement>29</departement>")
    assert b"Quimper" in quimper
    plain = import_id_of(upload(client, quimper, source="ecran-bretagne"))
    wait_finished(client, plain)
    carif = import_id_of(upload(client, quimper, source="ecran-carif", hors_perimetre=True))
    wait_finished(client, carif)
    plain_counts, carif_counts = json.loads(row(plain).compteurs), json.loads(row(carif).compteurs)
    assert (plain_counts.get("sessions_rejetees"), plain_counts.get("sessions_creees", 0)) == (1, 0)
    assert (carif_counts.get("sessions_rejetees", 0), carif_counts.get("sessions_creees")) == (0, 1)
    assert row(carif).hors_perimetre and not row(plain).hors_perimetre
    rejected = db.session.scalars(select(ImportLheoProbleme.message).where(
        ImportLheoProbleme.import_id == plain, ImportLheoProbleme.message.contains("session ignorée"))).all()
    assert len(rejected) == 1
