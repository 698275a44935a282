"""« Mon compte »: every role sees its own account; password and e-mail changes, their checks,
the lockout they count toward, and what they end (other sessions, reset links)."""
import html
import re

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import History, PasswordToken
from backoffice.services.accounts import (
    MAX_FAILED_LOGINS,
    WRONG_CURRENT_PASSWORD,
    AccountSettings,
    find_valid_token,
    issue_token,
)
from backoffice.services.password_policy import MISMATCH, TOO_PERSONAL, TOO_SHORT
from tests.accounts_helpers import STRONG_PASSWORD, outbox
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
RIGHT = "motdepasse-de-test-1"
PAGE = "/admin/compte/"


def _errors(page: str, name: str) -> list[str]:
    """The messages rendered at a field (auth/_fields.html)."""
    return [html.unescape(m).strip()
            for m in re.findall(rf'data-field="{re.escape(name)}">(.*?)</div>', page, re.S)]


def _value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    value = re.search(r'value="([^"]*)"', match.group(0)) if match else None
    return html.unescape(value.group(1)) if value else None


def _change_password(client, actuel=RIGHT, nouveau=STRONG_PASSWORD, confirmation=None, **kwargs):
    return client.post(PAGE + "mot-de-passe/", data={
        "actuel": actuel, "nouveau": nouveau,
        "confirmation": nouveau if confirmation is None else confirmation}, **kwargs)


def _change_email(client, courriel, mot_de_passe=RIGHT, **kwargs):
    return client.post(PAGE + "courriel/", data={"courriel": courriel, "mot_de_passe": mot_de_passe}, **kwargs)


def _reset_token(app, user):
    token = issue_token(db.session, user, "reset", AccountSettings.from_config(app.config))
    db.session.commit()
    return token


def _actes(user) -> list[str]:
    return db.session.scalars(select(History.message).where(
        History.entity == "users", History.entity_key == str(user.id), History.op == "acte")).all()


@SQLITE_ONLY
@pytest.mark.parametrize("role", ["organisme", "documentaliste", "support", "admin", "financeur"])
def test_every_role_sees_its_own_account_only(client, make, role):
    """The menu leads to the page; it shows the user's identifiant, names, role, e-mail, organismes
    and nothing of another user's."""
    mine = make.organisme(raison_sociale="Mon Organisme Formation")
    other_organisme = make.organisme(raison_sociale="Organisme Voisin")
    other = make.user("organisme", organismes=[other_organisme], email="voisin@autre.fr")
    user = make.user(role, organismes=[mine] if role == "organisme" else [], email="moi@exemple.fr")
    login(client, user.identifiant)
    home = client.get("/admin/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/admin/compte/"' in home and "Mon compte" in home
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for shown in (user.identifiant, user.prenom, user.nom, user.role_label, "moi@exemple.fr", "Dernière connexion"):
        assert shown in text, shown
    assert (mine.numero in text) == (role == "organisme")
    for hidden in (other.identifiant, "voisin@autre.fr", other_organisme.numero, "Organisme Voisin"):
        assert hidden not in text, hidden
    if role == "financeur":
        assert user.financeur.libelle in text


@SQLITE_ONLY
def test_anonymous_goes_to_the_login_page(client):
    for response in (client.get(PAGE), _change_password(client), _change_email(client, "x@exemple.fr")):
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_password_change_keeps_this_session_and_ends_the_others(app, client, make):
    """Success: the new password works and the old one no longer; this browser stays in, another
    one is out; reset links are void; an « acte » and a notification mail are written."""
    user = make.user("documentaliste")
    other_browser = app.test_client()
    login(other_browser, user.identifiant)
    login(client, user.identifiant)
    token = _reset_token(app, user)

    response = _change_password(client)
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    page = client.get(PAGE)
    assert page.status_code == 200 and "Votre mot de passe est modifié" in page.get_data(as_text=True)
    assert other_browser.get(PAGE).status_code == 302

    db.session.expire_all()
    assert user.session_version == 2 and user.password_changed_at is not None
    assert find_valid_token(db.session, token, AccountSettings.from_config(app.config)) is None
    assert all(row.used_at is not None for row in db.session.scalars(select(PasswordToken)))
    assert _actes(user) == ["Mot de passe modifié par l'utilisateur (Mon compte)"]
    mail = outbox(user.email)[-1]
    assert mail.subject == "DOKELIO Ile-de-France : votre mot de passe a été modifié"
    assert "« Mon compte »" in mail.body_text and user.identifiant in mail.body_html
    assert STRONG_PASSWORD not in mail.body_text + mail.body_html

    fresh = app.test_client()
    assert fresh.post("/connexion", data={"identifiant": user.identifiant, "password": RIGHT}).status_code == 200
    login(fresh, user.identifiant, STRONG_PASSWORD)


@SQLITE_ONLY
def test_wrong_current_password_is_refused_and_counts_toward_the_lockout(client, make):
    """Each wrong current password is a failed log-in: at the 5th the account is locked and the
    session ends; the password never changed."""
    user = make.user("organisme")
    login(client, user.identifiant)
    hash_before = user.password_hash
    for attempt in range(1, MAX_FAILED_LOGINS):
        response = _change_password(client, actuel="pas le bon mot de passe")
        assert response.status_code == 200
        assert _errors(response.get_data(as_text=True), "actuel") == [WRONG_CURRENT_PASSWORD]
        db.session.expire_all()
        assert user.failed_logins == attempt and user.locked_at is None
    response = _change_email(client, "pirate@exemple.fr", mot_de_passe="pas le bon mot de passe")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    db.session.expire_all()
    assert user.locked_at is not None and user.password_hash == hash_before and user.email != "pirate@exemple.fr"
    assert client.get(PAGE).status_code == 302
    assert client.post("/connexion", data={"identifiant": user.identifiant, "password": RIGHT}).status_code == 200
    assert _actes(user) == [f"Compte bloqué après {MAX_FAILED_LOGINS} échecs de connexion consécutifs"]


@SQLITE_ONLY
def test_right_current_password_clears_the_failure_count(client, make):
    user = make.user("admin")
    login(client, user.identifiant)
    _change_password(client, actuel="pas le bon mot de passe")
    _change_password(client, actuel="pas le bon mot de passe")
    assert _change_password(client).status_code == 302
    db.session.expire_all()
    assert user.failed_logins == 0


@SQLITE_ONLY
def test_weak_or_mismatched_new_password_is_refused_at_its_field(client, make):
    """Too short, built on the user's own name, the confirmation different, the same as now:
    refused at the field, nothing changed, nothing counted."""
    user = make.user("financeur", nom="Beauregard")
    login(client, user.identifiant)
    cases = [("court", None, "nouveau", TOO_SHORT),
             ("beauregard2024beauregard!", None, "nouveau", TOO_PERSONAL),
             (STRONG_PASSWORD, "une autre phrase bien longue", "confirmation", MISMATCH),
             (RIGHT, None, "nouveau", "Le nouveau mot de passe doit être différent du mot de passe actuel."),
             ("", None, "nouveau", "Ce champ est obligatoire.")]
    for nouveau, confirmation, field, message in cases:
        response = _change_password(client, nouveau=nouveau, confirmation=confirmation)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and message in _errors(page, field), (nouveau, _errors(page, field))
        assert _value(page, "nouveau") in (None, "")  # a password is never sent back
    db.session.expire_all()
    assert user.password_changed_at is None and user.session_version == 1 and user.failed_logins == 0
    assert outbox() == [] and _actes(user) == []
    login(client, user.identifiant)


@SQLITE_ONLY
def test_email_change_needs_the_right_password(app, client, make):
    """Wrong password or bad address: refused at the field, the typed address kept, nothing sent.
    Right password: nothing changes yet; a link goes to the new address only."""
    user = make.user("organisme", email="ancienne@of-test.fr")
    login(client, user.identifiant)
    token = _reset_token(app, user)

    response = _change_email(client, "nouvelle@of-test.fr", mot_de_passe="pas le bon mot de passe")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _errors(page, "mot_de_passe") == [WRONG_CURRENT_PASSWORD]
    assert _value(page, "courriel") == "nouvelle@of-test.fr" and _value(page, "mot_de_passe") in (None, "")
    db.session.expire_all()
    assert user.failed_logins == 1
    for typed, message in (("pas-une-adresse", "L'adresse de courriel n'est pas valide."),
                           ("ancienne@of-test.fr", "C'est déjà l'adresse de courriel de votre compte."),
                           ("", "Ce champ est obligatoire.")):
        page = _change_email(client, typed).get_data(as_text=True)
        assert _errors(page, "courriel") == [message] and _value(page, "courriel") == typed
    db.session.expire_all()
    assert user.email == "ancienne@of-test.fr" and outbox() == []

    response = _change_email(client, "  nouvelle@of-test.fr ")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Un lien de confirmation, valable 24 heures, a été envoyé à nouvelle@of-test.fr" in html.unescape(page)
    db.session.expire_all()
    assert user.email == "ancienne@of-test.fr"  # until the link is opened
    assert find_valid_token(db.session, token, AccountSettings.from_config(app.config)) is not None
    [mail] = outbox()
    assert mail.recipients == "nouvelle@of-test.fr" and "/confirmer-courriel/" in mail.body_text


def _confirmation_link(mail) -> str:
    return "/" + re.search(r"https?://[^/\s]+/(confirmer-courriel/\S+)", mail.body_text).group(1)


@SQLITE_ONLY
def test_the_new_address_is_taken_when_its_link_is_opened(app, client, make):
    """The link shows the change, its button makes it: the history says old -> new, reset links die,
    the old address is told. The link then serves no more, and never as a password link; a newer
    request voids an older link."""
    user = make.user("organisme", email="ancienne@of-test.fr")
    login(client, user.identifiant)
    reset = _reset_token(app, user)
    assert _change_email(client, "premiere@of-test.fr").status_code == 302
    assert _change_email(client, "nouvelle@of-test.fr").status_code == 302
    first, second = outbox()
    older, link = _confirmation_link(first), _confirmation_link(second)
    assert client.get(older).status_code == 400  # superseded
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/mot-de-passe/{token}").status_code == 400  # not a password link

    visitor = app.test_client()  # opened from another device, not logged in
    page = visitor.get(link)
    assert page.status_code == 200 and "nouvelle@of-test.fr" in page.get_data(as_text=True)
    db.session.expire_all()
    assert user.email == "ancienne@of-test.fr"  # a GET (a mail scanner) changes nothing
    assert visitor.post(link, data={}, csrf=False).status_code == 400  # CSRF: refused, nothing changed
    db.session.expire_all()
    assert user.email == "ancienne@of-test.fr"

    done = visitor.post(link)
    assert done.status_code == 302 and done.location.endswith("/connexion")
    db.session.expire_all()
    assert user.email == "nouvelle@of-test.fr"
    change = db.session.scalars(select(History).where(History.entity == "users", History.field == "email")).one()
    assert (change.old_value, change.new_value, change.user_id) == ("ancienne@of-test.fr", "nouvelle@of-test.fr",
                                                                     user.id)
    assert find_valid_token(db.session, reset, AccountSettings.from_config(app.config)) is None
    told = outbox()[-1]
    assert told.recipients == "ancienne@of-test.fr" and "nouvelle@of-test.fr" in told.body_text
    assert visitor.get(link).status_code == 400 and visitor.post(link).status_code == 400  # used
    assert client.get(PAGE).status_code == 200  # the user's own session goes on
    assert "nouvelle@of-test.fr" in client.get(PAGE).get_data(as_text=True)


@SQLITE_ONLY
def test_an_email_link_expires_after_24_hours(app, make):
    from datetime import timedelta

    from backoffice.models.listeners import utcnow
    from backoffice.services import my_account
    user = make.user("support", email="support@exemple.fr")
    settings = AccountSettings.from_config(app.config)
    sent = utcnow()
    assert my_account.change_email(db.session, user, "neuve@exemple.fr", RIGHT, None, settings, now=sent) == {}
    token = _confirmation_link(outbox()[-1]).rsplit("/", 1)[1]
    assert my_account.confirm_email(db.session, token, settings, now=sent + timedelta(hours=25)) == \
        (None, my_account.LINK_INVALID_EMAIL)
    db.session.expire_all()
    assert user.email == "support@exemple.fr"
    confirmed, problem = my_account.confirm_email(db.session, token, settings, now=sent + timedelta(hours=23))
    assert problem is None and confirmed.email == "neuve@exemple.fr"


@SQLITE_ONLY
def test_posts_without_csrf_token_change_nothing(client, make):
    user = make.user("support", email="support@exemple.fr")
    login(client, user.identifiant)
    assert _change_password(client, csrf=False).status_code == 400
    assert _change_email(client, "pirate@exemple.fr", csrf=False).status_code == 400
    db.session.expire_all()
    assert user.email == "support@exemple.fr" and user.session_version == 1 and user.password_changed_at is None
    assert outbox() == []
    assert client.get(PAGE).status_code == 200
