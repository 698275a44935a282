"""The app starts on both databases, logs a user in and shows the French admin."""
from tests.conftest import login


def test_login_page_is_french(client):
    """The login page answers in French."""
    response = client.get("/connexion")
    assert response.status_code == 200
    assert "Se connecter" in response.get_data(as_text=True)


def test_documentaliste_sees_organismes_list(client, make):
    """A documentaliste logs in and lists organismes, including one created by a factory."""
    organisme = make.organisme(raison_sociale="GRETA 95")
    user = make.user("documentaliste")
    login(client, user.identifiant)
    response = client.get("/admin/organismes/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert organisme.numero in body
    assert "GRETA 95" in body
