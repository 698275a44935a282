"""Log-in under attack: lockout after 5 failures, one message for every refusal, per-address throttle,
a new session on log-in, none left after log-out."""
import re

import pytest
from sqlalchemy import select

from backoffice.auth.views import LOGIN_FAILED, THROTTLED
from backoffice.extensions import db
from backoffice.models import History
from backoffice.services.accounts import MAX_FAILED_LOGINS
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
RIGHT = "motdepasse-de-test-1"


def _page(response) -> str:
    """The page without the echoed identifiant and the (timestamped) CSRF token."""
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def _try(client, identifiant, password, **kwargs):
    response = client.post("/connexion", data={"identifiant": identifiant, "password": password}, **kwargs)
    return response.status_code, LOGIN_FAILED in response.get_data(as_text=True)


def test_fifth_failure_locks_until_support_unlocks(client, make, login_as):
    """The 5th wrong password in a row locks the account: the right one then fails with the same
    message as an unknown account; support unlocks it (history kept) and the right password works."""
    user = make.user("organisme")
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert _try(client, user.identifiant, "mauvais mot de passe") == (200, True)
    db.session.expire_all()
    assert user.failed_logins == MAX_FAILED_LOGINS - 1 and user.locked_at is None
    assert _try(client, user.identifiant, "mauvais mot de passe") == (200, True)
    db.session.expire_all()
    assert user.locked_at is not None
    locked = client.post("/connexion", data={"identifiant": user.identifiant, "password": RIGHT})
    unknown = client.post("/connexion", data={"identifiant": "personne42", "password": RIGHT})
    assert locked.status_code == unknown.status_code == 200
    assert _page(locked) == _page(unknown)
    assert client.get("/admin/organismes/").status_code == 302

    support = login_as("support")
    response = client.post(f"/admin/support/{user.id}/debloquer/", data={"q": user.identifiant})
    assert response.status_code == 302
    client.post("/deconnexion")
    db.session.expire_all()
    assert user.locked_at is None and user.failed_logins == 0
    login(client, user.identifiant, RIGHT)
    actes = db.session.scalars(select(History).where(History.entity == "users", History.op == "acte",
                                                     History.entity_key == str(user.id))).all()
    assert [a.message for a in actes] == [f"Compte bloqué après {MAX_FAILED_LOGINS} échecs de connexion consécutifs",
                                          "Support : compte débloqué"]
    assert actes[1].user_id == support.id and actes[1].actor_label == "Support"


@SQLITE_ONLY
def test_success_resets_the_count_and_inactive_accounts_refuse(client, make):
    """A success between failures starts the count again; a deactivated account refuses the right
    password with the generic message."""
    user = make.user("organisme")
    for _ in range(MAX_FAILED_LOGINS - 1):
        _try(client, user.identifiant, "mauvais mot de passe")
    login(client, user.identifiant, RIGHT)
    client.post("/deconnexion")
    _try(client, user.identifiant, "mauvais mot de passe")
    db.session.expire_all()
    assert user.failed_logins == 1 and user.locked_at is None
    inactive = make.user("organisme", actif=False)
    assert _try(client, inactive.identifiant, RIGHT) == (200, True)


@SQLITE_ONLY
def test_one_address_is_throttled_after_30_failures(client, make):
    """30 failures from one address (spread over many identifiants) stop that address, even with a
    right password; another address still logs in."""
    user = make.user("organisme")
    attacker = {"REMOTE_ADDR": "203.0.113.66"}
    for i in range(30):
        _try(client, f"cible{i}", "devine", environ_base=attacker)
    response = client.post("/connexion", data={"identifiant": user.identifiant, "password": RIGHT},
                           environ_base=attacker)
    assert response.status_code == 200 and THROTTLED in response.get_data(as_text=True)
    response = client.post("/connexion", data={"identifiant": user.identifiant, "password": RIGHT},
                           environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert response.status_code == 302


@SQLITE_ONLY
def test_session_is_renewed_on_login_and_void_after_logout(app, client, make):
    """Nothing planted in the session before log-in survives it; after log-out, a copy of the old
    session cookie no longer opens the back-office."""
    user = make.user("documentaliste")
    with client.session_transaction() as session:
        session["planted"] = "par un attaquant"
    login(client, user.identifiant)
    with client.session_transaction() as session:
        assert "planted" not in session
        stolen = dict(session)
    assert client.get("/admin/organismes/").status_code == 200
    client.post("/deconnexion")
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(stolen)
    assert replay.get("/admin/organismes/").status_code == 302
