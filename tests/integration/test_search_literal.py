"""What users type in a search box is searched as typed (% _ \\ are no wildcards), on every
search path; a typed OF_/AF_/SE_ number finds its record at once, inside the user's scope."""
import html
import json
import re

import pytest

from backoffice.actor import Actor, acting_as
from backoffice.extensions import db
from tests.conftest import login
from tests.lheo_helpers import simple_offer

LITERAL = "Remise 50% a_b c\\d"  # holds every character LIKE reads specially
LOOKALIKE = "Remise 50 axb c-d"  # what those characters, read as wildcards, would also match
TYPED = ["%", "_", "\\", "50%", "a_b"]
# every numero holds a "_": where numbers are searched, a lone "_" rightly matches every row
TYPED_WHERE_NUMBERS_ARE_SEARCHED = ["%", "\\", "50%", "a_b", "c\\d"]


def page(client, url, **params) -> str:
    response = client.get(url, query_string=params, follow_redirects=True)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def as_user(app, make, role, **kwargs):
    user = make.user(role, **kwargs)
    browser = app.test_client()
    login(browser, user.identifiant)
    return browser


def _filter_groups(body: str) -> dict:
    """The list's filters: {label: [{"arg", "operation", ...}]} (Flask-Admin's filter-groups-data)."""
    data = re.search(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', body, re.S)
    assert data, "no filters on the page"
    return json.loads(html.unescape(data.group(1)))


def _filter_arg(body: str, label: str, operations: tuple[str, ...]) -> str:
    """The query argument of the list filter `label` with one of `operations`: flt0_<arg>."""
    return "flt0_" + next(f["arg"] for f in _filter_groups(body)[label] if f["operation"] in operations)


@pytest.fixture
def offers(make):
    return make.action(intitule=LITERAL), make.action(intitule=LOOKALIKE)


@pytest.mark.parametrize("typed", TYPED_WHERE_NUMBERS_ARE_SEARCHED)
def test_actions_grid_and_dashboard_search_are_literal(app, make, offers, typed):
    literal, lookalike = offers
    browser = as_user(app, make, "documentaliste")
    for body in (page(browser, "/admin/actions/", liste="toute_offre", search=typed),
                 page(browser, "/admin/tableau-de-bord/rechercher", cible="actions", texte=typed)):
        assert literal.numero in body and lookalike.numero not in body, typed


@pytest.mark.parametrize("typed", TYPED)
def test_dashboard_organisme_filter_is_literal(app, make, typed):
    literal = make.action(make.organisme(nom_usuel=LITERAL))
    lookalike = make.action(make.organisme(nom_usuel=LOOKALIKE))
    body = page(as_user(app, make, "documentaliste"), "/admin/actions/", liste="toute_offre", f_of=typed)
    assert literal.numero in body and lookalike.numero not in body, typed


@pytest.mark.parametrize("typed", TYPED)
def test_organisme_search_is_literal(app, make, typed):
    literal, lookalike = make.organisme(raison_sociale=LITERAL), make.organisme(raison_sociale=LOOKALIKE)
    body = page(as_user(app, make, "documentaliste"), "/admin/recherche-organismes/", rechercher="1", nom=typed)
    assert literal.numero in body and lookalike.numero not in body, typed


@pytest.mark.parametrize("typed", TYPED)
def test_journal_search_and_author_filter_are_literal(app, make, typed):
    organisme = make.organisme()
    make.contact(organisme, nom=LITERAL)  # its journal rows are named after it
    make.contact(organisme, nom=LOOKALIKE)
    browser = as_user(app, make, "documentaliste")
    body = page(browser, "/admin/journal/", search=typed)
    assert LITERAL in body and LOOKALIKE not in body, typed
    for name, action in ((LITERAL, make.action(organisme)), (LOOKALIKE, make.action(organisme))):
        author = make.user("organisme", organismes=[organisme], nom=name)
        with acting_as(Actor(author.id, "Organisme de formation")):
            action.objectif = f"Changé par {name}"
            db.session.commit()
    author_filter = _filter_arg(page(browser, "/admin/journal/"), "Auteur", ("contient",))
    body = page(browser, "/admin/journal/", **{author_filter: typed})
    assert f"Changé par {LITERAL}" in body and f"Changé par {LOOKALIKE}" not in body, typed


@pytest.mark.parametrize("typed", TYPED)
def test_support_search_is_literal(app, make, typed):
    literal, lookalike = make.user("documentaliste", nom=LITERAL), make.user("documentaliste", nom=LOOKALIKE)
    body = page(as_user(app, make, "support"), "/admin/support/", q=typed)
    assert literal.identifiant in body and lookalike.identifiant not in body, typed


@pytest.mark.parametrize("typed", TYPED)
def test_api_q_is_literal(client, make, typed):
    literal, lookalike = simple_offer(make, intitule=LITERAL), simple_offer(make, intitule=LOOKALIKE)
    response = client.get("/api/v1/offres", query_string={"q": typed})
    assert response.status_code == 200
    found = [offer["numero"] for offer in response.get_json()["resultats"]]
    assert literal.numero in found and lookalike.numero not in found, typed


# ------------------------------------------------------------------ numbers typed


@pytest.fixture
def two_organismes(make):
    """Two organismes, each with one action and its session."""
    mine, theirs = make.organisme(), make.organisme()
    ours, other = make.action(mine), make.action(theirs)
    return mine, ours, make.session(ours), make.session(other)


def test_a_session_number_finds_its_action_in_the_grid_and_the_dashboard(app, make, two_organismes):
    organisme, action, session, other_session = two_organismes
    documentaliste = as_user(app, make, "documentaliste")
    # as read on the phone: any case, spaces around
    for typed in (session.numero, f" {session.numero.lower()} ", action.numero, organisme.numero):
        for body in (page(documentaliste, "/admin/actions/", liste="toute_offre", search=typed),
                     page(documentaliste, "/admin/tableau-de-bord/rechercher", cible="actions", texte=typed)):
            assert action.numero in body and other_session.action.numero not in body, typed
    own = as_user(app, make, "organisme", organismes=[organisme])
    assert action.numero in page(own, "/admin/actions/", liste="toute_offre", search=session.numero)
    outsider = as_user(app, make, "organisme", organismes=[other_session.action.organisme])
    for body in (page(outsider, "/admin/actions/", liste="toute_offre", search=session.numero),
                 page(outsider, "/admin/tableau-de-bord/rechercher", cible="actions", texte=session.numero)):
        assert action.numero not in body


def test_numbers_typed_in_the_other_search_boxes(app, make, two_organismes):
    organisme, action, session, other_session = two_organismes
    browser = as_user(app, make, "documentaliste")
    other_organisme = other_session.action.organisme
    for typed in (organisme.numero, action.numero, session.numero):
        body = page(browser, "/admin/recherche-organismes/", rechercher="1", nom=typed)
        assert organisme.numero in body and other_organisme.numero not in body, typed
    sessions = page(browser, "/admin/sessions/", search=action.numero)
    assert session.numero in sessions and other_session.numero not in sessions
    journal = page(browser, "/admin/journal/", search=session.numero)
    assert session.numero in journal and other_session.numero not in journal


def test_api_q_finds_the_offer_of_a_number(client, make):
    offer, other = simple_offer(make), simple_offer(make)

    def found(q):
        response = client.get("/api/v1/offres", query_string={"q": q})
        assert response.status_code == 200
        return [row["numero"] for row in response.get_json()["resultats"]]

    assert found(offer.numero) == [offer.numero] == found(offer.sessions[0].numero)
    assert found(other.numero.lower()) == [other.numero]
    assert found("AF_0000000000") == []
