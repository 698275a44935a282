"""Error pages speak French, in the application's layout, with a way back; the API keeps its JSON."""
import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm.exc import StaleDataError

from backoffice import create_app, error_pages
from backoffice.extensions import db
from backoffice.models import Organisme
from tests.conftest import CsrfClient, app_config, login

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_another_organismes_fiche_and_an_unknown_page_answer_a_french_404(client, make):
    mine, other = make.organisme(), make.organisme()
    foreign = make.action(other)
    login(client, make.user("organisme", organismes=[mine]).identifiant)
    for url in (f"/admin/actions/edit/?id={foreign.id}", "/admin/pas-de-page/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page introuvable" in _page(response) and 'lang="fr"' in _page(response)
        assert "Retour au tableau de bord" in _page(response)
        assert "Not Found" not in _page(response)


def test_a_page_the_role_may_not_open_answers_a_french_403(client, make):
    login(client, make.user("organisme", organismes=[make.organisme()]).identifiant)
    response = client.get("/admin/supervision/")
    assert response.status_code == 403
    assert "Accès refusé" in _page(response) and "Forbidden" not in _page(response)


def test_an_anonymous_visitors_error_page_links_to_the_login_page(client):
    response = client.get("/lheo/pas-de-page")
    assert response.status_code == 404
    assert "Retour à la page de connexion" in _page(response)


def test_a_form_sent_without_its_csrf_token_says_the_page_expired_and_changes_nothing(client, make):
    organisme = make.organisme(nom_usuel="Avant")
    login(client, make.user("documentaliste").identifiant)
    response = client.post(f"/admin/organismes/edit/?id={organisme.id}", data={"nom_usuel": "Après"}, csrf=False)
    assert response.status_code == 400
    assert "Page expirée" in _page(response) and "CSRF token" not in _page(response)
    db.session.expire_all()
    assert db.session.get(Organisme, organisme.id).nom_usuel == "Avant"


def test_the_partner_api_keeps_its_json_errors(client):
    response = client.get("/api/v1/pas-de-ressource")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["statut"] == 404


def test_an_unexpected_error_answers_a_french_500_page(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False))
    app.test_client_class = CsrfClient

    @app.route("/panne")
    def _broken():
        raise RuntimeError("boom")

    with app.app_context():
        response = app.test_client().get("/panne")
        assert response.status_code == 500
        assert "Erreur interne" in _page(response) and "boom" not in _page(response)
        db.session.remove()
        db.engine.dispose()


def _app_with_route(database_url, tmp_path, view, **config):
    app = create_app(app_config(database_url, tmp_path, **config))
    app.test_client_class = CsrfClient
    app.add_url_rule("/panne", "panne", view)
    return app


def _database_error(kind):
    def view():
        raise kind("SELECT secret FROM action WHERE id = %(id)s", {"id": 99999999999},
                   Exception("integer out of range"))
    return view


@pytest.mark.parametrize(("kind", "status", "title"), [
    (DataError, 400, "Valeur refusée"), (IntegrityError, 409, "Enregistrement refusé"),
    (OperationalError, 503, "Service momentanément indisponible"), (ProgrammingError, 500, "Erreur interne")])
def test_a_database_error_escaping_a_view_answers_a_french_page_without_sql(database_url, tmp_path, kind,
                                                                            status, title):
    """Whatever the database refused, the user reads French: no SQL, no parameters, no driver
    message, the status says whose fault it is (their value, a conflict, an outage)."""
    app = _app_with_route(database_url, tmp_path, _database_error(kind))
    with app.app_context():
        response = app.test_client().get("/panne")
        page = _page(response)
        assert response.status_code == status
        assert title in page and 'lang="fr"' in page
        for leak in ("SELECT", "secret", "99999999999", "out of range", "Error"):
            assert leak not in page, leak
        api = app.test_client().get("/api/v1/offres", query_string={"q": "x"})
        assert api.status_code < 500 or api.is_json  # the API answers its own way
        db.session.remove()
        db.engine.dispose()


def test_the_partner_api_answers_a_database_error_in_json(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path))
    app.add_url_rule("/api/v1/panne", "api_panne", _database_error(DataError))
    with app.app_context():
        response = app.test_client().get("/api/v1/panne")
        assert response.status_code == 400 and response.is_json
        assert response.get_json()["statut"] == 400 and "SELECT" not in response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_an_error_page_whose_layout_fails_is_still_a_french_html_page(client, monkeypatch):
    """The layout raises (the database gone while loading the user, a broken template): a minimal
    static French page, still HTML, with the right status code."""
    def broken(*args, **kwargs):
        raise RuntimeError("template en panne")
    monkeypatch.setattr(error_pages, "render_template", broken)
    for url, status, title in (("/admin/pas-de-page/", 404, "Page introuvable"), ("/deconnexion", 405, None)):
        response = client.get(url)
        page = _page(response)
        assert response.status_code == status
        assert response.mimetype == "text/html" and page.startswith("<!doctype html>") and 'lang="fr"' in page
        assert title is None or title in page
        assert "template en panne" not in page and "Traceback" not in page


def test_a_method_the_page_does_not_accept_answers_a_french_405(client):
    response = client.get("/deconnexion")
    assert response.status_code == 405
    assert "Opération non permise" in _page(response) and "Method Not Allowed" not in _page(response)
    assert "POST" in response.headers["Allow"]


def test_an_unexpected_error_after_a_failed_statement_still_renders_the_layout(database_url, tmp_path, make):
    """A failed statement leaves the transaction unusable (PostgreSQL): the 500 page rolls it back
    before rendering, so it still shows the layout and the logged-in user's way back."""
    app = create_app(app_config(database_url, tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False))
    app.test_client_class = CsrfClient

    @app.route("/panne")
    def _broken():
        from sqlalchemy import text
        try:
            db.session.execute(text("SELECT * FROM table_inconnue"))
        except Exception:
            pass  # swallowed by mistake: the transaction is left failed
        raise RuntimeError("boom")

    with app.app_context():
        response = app.test_client().get("/panne")
        assert response.status_code == 500
        assert "Erreur interne" in _page(response) and "boom" not in _page(response)
        db.session.remove()
        db.engine.dispose()


class _SerializationFailure(Exception):
    sqlstate = "40001"  # what psycopg's SerializationFailure carries


@pytest.mark.parametrize("error", [
    StaleDataError("UPDATE statement on table 'action' expected to update 1 row(s); 0 were matched."),
    OperationalError("UPDATE action SET etat = %(etat)s", {"etat": "x"}, _SerializationFailure("could not serialize"))],
    ids=["stale", "serialization"])
def test_a_lost_race_escaping_a_view_says_another_user_wrote_first(database_url, tmp_path, error):
    """Not the user's mistake nor an outage: a 409 that says someone else changed the data."""
    def view():
        raise error
    app = _app_with_route(database_url, tmp_path, view)
    with app.app_context():
        response = app.test_client().get("/panne")
        page = _page(response)
        assert response.status_code == 409
        assert "modifiées par un autre utilisateur" in page
        for leak in ("UPDATE", "serialize", "expected to update"):
            assert leak not in page, leak
        db.session.remove()
        db.engine.dispose()
