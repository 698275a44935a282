"""Error pages speak French, in the application's layout, with a way back; the API keeps its JSON."""
import pytest

from backoffice import create_app
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
