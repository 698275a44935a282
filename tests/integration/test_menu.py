"""The admin menu (Flask-Admin's, rendered on every page) shows each role exactly the screens it
may open: a screen that answers 403 is never offered, one that opens is never missing."""
import re

import pytest

from backoffice.permissions import ROLES
from tests.conftest import login

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _menu_links(client) -> set[str]:
    page = client.get("/admin/compte/").get_data(as_text=True)
    match = re.search(r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*<ul class="navbar-nav ml-auto">', page, re.S)
    assert match, page[:2000]
    return {href.split("?")[0].rstrip("/") for href in re.findall(r'href="(/admin[^"]*)"', match.group(1))}


# reached from other pages, never from the menu: the home page (the "DOKELIO" brand link) and a
# record's history (from its fiche)
NOT_IN_MENU = {"admin", "historique"}


def _screens_that_open(app, client) -> set[str]:
    """The URL of every screen whose page opens (200) for the logged-in user."""
    opened = set()
    for view in app.extensions["admin"][0]._views:
        if view.endpoint in NOT_IN_MENU:
            continue
        url = view.url.rstrip("/")
        status = client.get(url + "/").status_code
        assert status in (200, 403), (url, status)
        if status == 200:
            opened.add(url)
    return opened


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_offers_the_screens_of_the_role(app, client, make, role):
    """Every screen the user may open, and none other, is a link of the menu."""
    user = make.user(role, organismes=[make.organisme()] if role == "organisme" else [])
    login(client, user.identifiant)
    links = _menu_links(client)
    assert "/admin/compte" in links and len(links) > 2
    assert links == _screens_that_open(app, client), role
