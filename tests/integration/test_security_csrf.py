"""CSRF: every state-changing endpoint of the app, found in its url_map, refuses a POST without a
token or with a wrong one, and nothing in the database changes."""
import pytest
from flask import url_for
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from backoffice.extensions import csrf, db
from backoffice.services.accounts import AccountSettings, issue_token
from tests.accounts_helpers import STRONG_PASSWORD
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _fingerprint():
    """Row counts of every table, and the full rows of the ones a forged request would touch."""
    counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    rows = {name: sorted(map(repr, db.session.execute(select(db.metadata.tables[name])).all()))
            for name in ("users", "organisme", "contact", "adresse", "password_token")}
    return counts, rows


def _state_changing_rules(app):
    exempt_blueprints = {bp.name for bp in csrf._exempt_blueprints}
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not methods:
            continue
        if rule.endpoint.split(".")[0] in exempt_blueprints or rule.endpoint in csrf._exempt_views:
            continue  # token-authenticated API: no cookie, so no CSRF (tested by its owner)
        yield rule, sorted(methods)


def _url(app, rule, values):
    with app.test_request_context():
        return url_for(rule.endpoint, **{arg: values.get(arg, "1") for arg in rule.arguments})


def _foreign_token(app):
    """A well-formed token signed with another key: what a forger can make."""
    return URLSafeTimedSerializer("une-autre-cle", salt="wtf-csrf-token").dumps("abc")


@SQLITE_ONLY
def test_every_post_endpoint_refuses_missing_or_wrong_tokens(app, client, make):
    """For each POST route (admin views, bulk actions, ajax edits, deletes, support acts, auth forms),
    as a documentaliste, an admin and a support user: no token -> 400, a forged token -> 400, a token
    in a wrong header -> 400; the database is unchanged."""
    organisme = make.organisme(etat="brouillon")
    contact = make.contact(organisme)
    target = make.user("organisme", organismes=[organisme])
    token = issue_token(db.session, target, "reset", AccountSettings.from_config(app.config))
    db.session.commit()
    values = {"user_id": str(target.id), "token": token}
    data = {"id": str(organisme.id), "rowid": str(contact.id), "action": "delete", "motif": "forgé",
            "q": target.identifiant, "identifiant": target.identifiant, "password": STRONG_PASSWORD,
            "confirmation": STRONG_PASSWORD, "courriel": target.email, "raison_sociale": "Forgé",
            "nom": "Forgé", "name": "nom", "pk": str(contact.id), "value": "Forgé", "list_form_pk": str(contact.id),
            "sujet": "conventionne", "message": "forgé", "url": "/admin/"}
    rules = list(_state_changing_rules(app))
    assert len(rules) > 20 and any(r.endpoint == "support.deactivate" for r, _ in rules)
    for role in ("documentaliste", "admin", "support"):
        user = make.user(role)
        login(client, user.identifiant)
        before = _fingerprint()  # the login itself is the only change allowed
        for rule, methods in rules:
            url = _url(app, rule, values)
            for method in methods:
                for attempt in ({}, {"csrf_token": "forgé"}, {"csrf_token": _foreign_token(app)}):
                    response = client.open(url, method=method, data={**data, **attempt}, csrf=False)
                    assert response.status_code == 400, (rule.rule, method, attempt, response.status_code)
                response = client.open(url, method=method, data=data, csrf=False,
                                       headers={"X-CSRFToken": _foreign_token(app)})
                assert response.status_code == 400, (rule.rule, method, "header")
        assert _fingerprint() == before, role
        client.post("/deconnexion")


@SQLITE_ONLY
def test_anonymous_public_forms_need_the_token_too(client):
    """Pré-inscription, contact, mot de passe oublié and log-in refuse a POST without a token."""
    for url in ("/inscription", "/contact", "/mot-de-passe-oublie", "/connexion", "/deconnexion"):
        assert client.post(url, data={"identifiant": "x", "message": "x"}, csrf=False).status_code == 400
