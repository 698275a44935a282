"""Aide: every help page for every role, the search, the one page open to visitors, the menu link,
and every link the pages hold leading to a route of the app. Both databases."""
import html
import re

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from backoffice import permissions
from backoffice.help import entries
from tests.conftest import login

MENU_LINK = re.compile(r'<a class="nav-link menu-aide"\s+href="([^"]+)"[^>]*>\s*Aide</a>')


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("role", permissions.ROLES)
def test_every_role_has_the_menu_link_and_reads_every_page(client, make, role):
    organismes = [make.organisme()] if role == permissions.ORGANISME else []
    user = make.user(role, organismes=organismes)
    login(client, user.identifiant)

    for screen in ("/admin/", "/admin/compte/"):
        response = client.get(screen)
        assert response.status_code == 200, screen
        assert MENU_LINK.findall(response.get_data(as_text=True)) == ["/aide/"], (role, screen)

    index = client.get("/aide/")
    assert index.status_code == 200
    listed = _text(index)
    for entry in entries.ENTRIES:
        assert f'href="/aide/{entry.slug}"' in listed and entry.title in listed, entry.slug
        page = client.get(f"/aide/{entry.slug}")
        assert page.status_code == 200, entry.slug
        seen = _seen(page)
        assert entry.title in seen and _seen_words(entry.html())[:80] in seen, entry.slug
    mine = listed[:listed.find("Autres questions")] if "Autres questions" in listed else listed
    assert all(f"/aide/{e.slug}\"" in mine for e in entries.ENTRIES if e.concerns(role))  # the role's pages first


def _seen_words(markup) -> str:
    """The text a reader sees: tags left out, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(markup))).split())


def _seen(response) -> str:
    return _seen_words(response.get_data(as_text=True))


def test_search_is_blind_to_case_and_accents(client, make):
    login(client, make.user(permissions.ORGANISME, organismes=[make.organisme()]).identifiant)
    for query in ("desarchiver", "DÉSARCHIVER", "Desarchiver"):
        found = _text(client.get("/aide/", query_string={"q": query}))
        results = found[found.index('id="aide-resultats"'):]
        assert 'href="/aide/archiver-desarchiver"' in results, query
        assert 'href="/aide/se-connecter"' not in results, query
    nothing = client.get("/aide/", query_string={"q": "zorglub <b>introuvable</b>"}).get_data(as_text=True)
    assert "Aucune page ne contient tous ces mots" in html.unescape(nothing)
    assert "<b>introuvable" not in nothing and "&lt;b&gt;introuvable" in nothing  # the query is shown escaped


def test_a_visitor_reads_how_to_register_and_nothing_else(client):
    login_page = _text(client.get("/connexion"))
    assert f'href="/aide/{entries.REGISTRATION_SLUG}"' in login_page and "Comment s'inscrire ?" in login_page

    page = client.get(f"/aide/{entries.REGISTRATION_SLUG}")
    assert page.status_code == 200
    body = _text(page)
    assert entries.BY_SLUG[entries.REGISTRATION_SLUG].title in body and 'href="/inscription"' in body

    for path in ["/aide/", "/aide/?q=mot", *(f"/aide/{e.slug}" for e in entries.ENTRIES
                                           if e.slug != entries.REGISTRATION_SLUG)]:
        response = client.get(path)
        assert response.status_code == 302 and "/connexion" in response.location, path


def test_an_unknown_page_is_a_french_404(client, make):
    login(client, make.user(permissions.DOCUMENTALISTE).identifiant)
    response = client.get("/aide/page-inconnue")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_every_link_of_the_pages_is_a_route_of_the_app(app, client, make):
    """Each link path matches app.url_map; a link's #anchor exists on the page it opens."""
    adapter = app.url_map.bind("localhost")
    targets = sorted({target for entry in entries.ENTRIES for target in entry.links()})
    assert targets
    for target in targets:
        path = target.split("#")[0].split("?")[0]
        try:
            endpoint, values = adapter.match(path, method="GET")
        except (NotFound, MethodNotAllowed):
            pytest.fail(f"{target}: no route of the app")
        if endpoint == "help.page":
            assert values["slug"] in entries.BY_SLUG, target
    login(client, make.user(permissions.DOCUMENTALISTE).identifiant)
    for target in targets:
        if "#" in target:
            path, anchor = target.split("#", 1)
            page = client.get(path)
            assert page.status_code == 200 and f'id="{anchor}"' in page.get_data(as_text=True), target
