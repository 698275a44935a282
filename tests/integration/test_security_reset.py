"""Mot de passe oublié under attack: enumeration, reuse, expiry, changed password or e-mail, throttling."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import History, PasswordToken, User
from tests.accounts_helpers import STRONG_PASSWORD, link_in, outbox
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _ask(client, identifiant, courriel, **kwargs):
    started = time.monotonic()
    response = client.post("/mot-de-passe-oublie", data={"identifiant": identifiant, "courriel": courriel}, **kwargs)
    return response, time.monotonic() - started


@pytest.fixture
def quick(app):
    """Lower the answer-time floor where timing is not the point (it is tested once, at its default)."""
    app.config["AUTH_MIN_RESPONSE_SECONDS"] = 0.01


def _reset_link(client, user) -> str:
    _ask(client, user.identifiant, user.email)
    mails = outbox(user.email)
    assert mails, "no reset mail"
    return link_in(mails[-1].body_text)


def _set(client, link, password=STRONG_PASSWORD):
    return client.post(link, data={"password": password, "confirmation": password})


def test_same_answer_for_existing_and_unknown_accounts(client, make, app):
    """Right pair, wrong e-mail, unknown identifiant: the same status, body and cookies, none faster
    than the floor; only the right pair gets a mail, whose link comes from BASE_URL, not the Host."""
    user = make.user("organisme", email="Paul.Martin@of-test.fr")
    client.get("/mot-de-passe-oublie")  # the session (CSRF) exists before the three posts
    answers = [_ask(client, user.identifiant, "paul.martin@of-test.fr", headers={"X-Forwarded-Host": "evil.test"}),
               _ask(client, user.identifiant, "autre@of-test.fr"),
               _ask(client, "inconnu99", "paul.martin@of-test.fr")]
    first = answers[0][0]
    assert first.status_code == 200 and "un courriel contenant un lien" in first.get_data(as_text=True)
    floor = app.config.get("AUTH_MIN_RESPONSE_SECONDS", 0.4)
    for response, seconds in answers:
        assert (response.status_code, response.get_data()) == (first.status_code, first.get_data())
        assert response.headers.get("Set-Cookie") == first.headers.get("Set-Cookie")
        assert seconds >= floor
    mails = outbox()
    assert len(mails) == 1 and mails[0].recipients == "Paul.Martin@of-test.fr"
    assert f"{app.config['BASE_URL']}/mot-de-passe/" in mails[0].body_text and "evil.test" not in mails[0].body_text
    assert "localhost" not in mails[0].body_text  # the request's own host (the test client's) is not used
    token_hashes = db.session.scalars(select(PasswordToken.token_hash)).all()
    assert len(token_hashes) == 1 and token_hashes[0] not in mails[0].body_text  # only a hash is stored


def test_link_works_once_and_ends_other_sessions(app, client, make, quick):
    """The link sets a password once; the user's other sessions end; the old password stops working;
    the change is in the history and the user is told by mail."""
    user = make.user("organisme")
    other_browser = app.test_client()
    login(other_browser, user.identifiant)
    assert other_browser.get("/admin/").status_code == 200
    link = _reset_link(client, user)
    assert client.get(link).status_code == 200
    response = _set(client, link)
    assert response.status_code == 302
    assert other_browser.get("/admin/organismes/").status_code == 302  # logged out
    assert _set(client, link, "une autre phrase bien longue").status_code == 400
    assert client.post("/connexion", data={"identifiant": user.identifiant,
                                           "password": "motdepasse-de-test-1"}).status_code == 200
    login(client, user.identifiant, STRONG_PASSWORD)
    db.session.expire_all()
    assert user.password_changed_at is not None and user.session_version == 2
    assert "Mot de passe réinitialisé par le lien envoyé par courriel" in db.session.scalars(
        select(History.message).where(History.entity == "users", History.op == "acte")).all()
    assert outbox(user.email)[-1].subject == "DOKELIO Ile-de-France : votre mot de passe a été modifié"


def _age(delta):
    """Move every stored link back in time, as if it had been made `delta` earlier."""
    for row in db.session.scalars(select(PasswordToken)):
        row.created_at, row.expires_at = row.created_at - delta, row.expires_at - delta
    db.session.commit()


@SQLITE_ONLY
def test_link_expires_after_24_hours(client, make, quick):
    """At 23 h the link still opens; moved back to 25 h it is refused."""
    user = make.user("organisme")
    link = _reset_link(client, user)
    _age(timedelta(hours=23))
    assert client.get(link).status_code == 200
    _age(timedelta(hours=2))
    assert client.get(link).status_code == 400
    assert _set(client, link).status_code == 400
    db.session.expire_all()
    assert user.password_changed_at is None


@SQLITE_ONLY
def test_link_void_after_password_or_email_change(client, make, quick):
    """A link made before the password changed (through another link) or before the e-mail changed
    (an admin edit, whatever the path) is refused."""
    user = make.user("organisme")
    older, newer = _reset_link(client, user), _reset_link(client, user)
    assert _set(client, newer).status_code == 302
    assert client.get(older).status_code == 400
    client.post("/deconnexion")
    link = _reset_link(client, user)
    with acting_as(SYSTEM):
        db.session.get(User, user.id).email = "nouvelle.adresse@of-test.fr"
        db.session.commit()
    assert client.get(link).status_code == 400
    assert _set(client, link, "encore une phrase assez longue").status_code == 400


@SQLITE_ONLY
def test_wrong_email_forged_token_and_inactive_account_get_nothing(client, make, quick):
    """A wrong e-mail sends nothing; a tampered or made-up token is refused; an inactive account
    gets no link."""
    user = make.user("organisme")
    _ask(client, user.identifiant, "pas.moi@exemple.fr")
    assert outbox() == []
    link = _reset_link(client, user)
    raw, _, binding = link.rpartition("/")[2].partition(".")
    for forged in (f"{raw}.{'0' * 32}", f"{raw[:-2]}xx.{binding}", raw, "x" * 300, "../../etc/passwd"):
        assert client.get(f"/mot-de-passe/{forged}").status_code in (400, 404)
    inactive = make.user("organisme", actif=False)
    _ask(client, inactive.identifiant, inactive.email)
    assert outbox(inactive.email) == []


@SQLITE_ONLY
def test_requests_are_throttled_per_identifiant_and_address(client, make, quick):
    """After 3 requests for one identifiant from one address in an hour no more mail goes out from it
    (same answer); after 10 from one address, none for anybody from it; another address is unaffected."""
    user = make.user("organisme")
    answers = {_ask(client, user.identifiant, user.email)[0].get_data() for _ in range(5)}
    assert len(answers) == 1 and len(outbox(user.email)) == 3
    others = [make.user("organisme") for _ in range(2)]
    for i in range(6):
        _ask(client, f"inconnu{i}", "x@exemple.fr")
    _ask(client, others[0].identifiant, others[0].email)
    assert outbox(others[0].email) == []
    _ask(client, others[1].identifiant, others[1].email, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert len(outbox(others[1].email)) == 1


@SQLITE_ONLY
def test_weak_or_mismatched_passwords_are_refused_at_the_field(client, make, quick):
    """Too short, common, built on the identifiant, or not confirmed: a French message, link kept."""
    user = make.user("organisme", identifiant="pdupont1", nom="Dupont", prenom="Pierre")
    link = _reset_link(client, user)
    for password, confirmation, message in (
            ("court", "court", "au moins 15 caractères"),
            ("azertyuiop123456789", "azertyuiop123456789", "trop courant"),
            ("pdupont1pdupont1!", "pdupont1pdupont1!", "reprendre votre identifiant"),
            (STRONG_PASSWORD, STRONG_PASSWORD + "x", "différents")):
        body = client.post(link, data={"password": password, "confirmation": confirmation}).get_data(as_text=True)
        assert message in body
    assert _set(client, link).status_code == 302


def test_an_attackers_requests_elsewhere_do_not_stop_the_owners_own(client, make, quick):
    """10 requests from an attacker's address with the victim's identifiant (any e-mail, or the
    victim's own) get the usual answer; the victim's own request from elsewhere still sends a mail."""
    user = make.user("organisme", email="victime@of-test.fr")
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    answers = {_ask(client, user.identifiant, user.email if i < 5 else f"pirate{i}@exemple.fr",
                    environ_base=attacker)[0].get_data() for i in range(10)}
    sent_to_victim = len(outbox(user.email))
    assert sent_to_victim == 3  # at most 3 per identifiant and address, whatever the e-mail typed
    owner_answer, _ = _ask(client, user.identifiant, user.email, environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert answers == {owner_answer.get_data()}
    mails = outbox(user.email)
    assert len(mails) == sent_to_victim + 1
    assert _set(client, link_in(mails[-1].body_text)).status_code == 302


def test_a_new_link_voids_the_older_ones(client, make, quick):
    """After a second request the first link is refused; the second one works; one live link."""
    user = make.user("organisme")
    first, second = _reset_link(client, user), _reset_link(client, user)
    assert first != second
    assert client.get(first).status_code == 400 and _set(client, first).status_code == 400
    live = db.session.scalars(select(PasswordToken).where(PasswordToken.used_at.is_(None))).all()
    assert len(live) == 1 and live[0].purpose == "reset"
    assert client.get(second).status_code == 200
    assert _set(client, second).status_code == 302
