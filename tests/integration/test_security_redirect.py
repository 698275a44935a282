"""Open redirect: ?next= on the log-in page and Flask-Admin's ?url= only ever lead to a path of this
site (the CVE-2018-16516 class); anything else lands on the index."""
import pytest

from backoffice.security import is_local_path
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PAYLOADS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "//evil.test", "\\\\evil.test",
            "/\\evil.test", "\\/evil.test", "http://evil.test/", "https:evil.test", "http://localhost/admin/",
            "/\t/evil.test", "java\nscript:alert(1)", "data:text/html,<script>alert(1)</script>"]


def _location(response) -> str:
    assert response.status_code in (301, 302, 303), response.status_code
    return response.headers["Location"]


def test_local_path_rule():
    """Only paths of this site pass; every payload is refused."""
    assert is_local_path("/admin/organismes/?page=2")
    for payload in PAYLOADS:
        assert not is_local_path(payload), payload


@SQLITE_ONLY
def test_login_next_lands_on_the_index(client, make):
    """After log-in (and when already logged in), ?next= set to a foreign or script URL goes to /admin/."""
    user = make.user("documentaliste")
    for payload in PAYLOADS:
        response = client.post("/connexion", query_string={"next": payload},
                               data={"identifiant": user.identifiant, "password": "motdepasse-de-test-1"})
        assert _location(response) == "/admin/", payload
        assert _location(client.get("/connexion", query_string={"next": payload})) == "/admin/", payload
        client.post("/deconnexion")


@SQLITE_ONLY
def test_login_next_keeps_a_local_path(client, make):
    """A genuine local ?next= is honoured."""
    user = make.user("documentaliste")
    response = client.post("/connexion", query_string={"next": "/admin/organismes/?page=1"},
                           data={"identifiant": user.identifiant, "password": "motdepasse-de-test-1"})
    assert _location(response) == "/admin/organismes/?page=1"


@SQLITE_ONLY
def test_flask_admin_url_parameter_lands_on_the_index(client, make):
    """Flask-Admin's ?url= on create, edit, details, delete and bulk actions: a foreign target sends the
    user to the view's own list, and the forged request does nothing."""
    organisme = make.organisme()
    contact = make.contact(organisme)
    login(client, make.user("documentaliste").identifiant)
    for payload in PAYLOADS:
        for url, args in (("/admin/organismes/new/", {}), ("/admin/organismes/edit/", {"id": organisme.id}),
                          ("/admin/organismes/details/", {"id": organisme.id})):
            assert _location(client.get(url, query_string={**args, "url": payload})) == "/admin/organismes/"
        response = client.post("/admin/contacts/delete/", data={"id": contact.id, "url": payload})
        assert _location(response) == "/admin/contacts/"
        response = client.post("/admin/contacts/action/", data={"rowid": contact.id, "action": "delete",
                                                                "url": payload})
        assert _location(response) == "/admin/contacts/"
    assert client.get(f"/admin/contacts/details/?id={contact.id}").status_code == 200  # never deleted
    page = client.get(f"/admin/organismes/edit/?id={organisme.id}&url=/admin/organismes/%3Fpage%3D1")
    assert page.status_code == 200 and "evil" not in page.get_data(as_text=True)
