"""The admin menu is kept per role (admin_views/page_chrome.py): that is right only while which
entries a user sees depends on the role alone. Two users of one role that differ in everything else
(organismes, financeur, the session) see the same menu computed afresh; the cached menu of one role
never reaches another."""
import re

import pytest

from backoffice.admin_views.page_chrome import CACHE_KEY
from backoffice.extensions import db
from backoffice.models import Financeur
from backoffice.permissions import FINANCEUR, ROLES
from tests.conftest import login

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _menu(client, app, fresh: bool) -> str:
    if fresh:
        app.extensions.pop(CACHE_KEY, None)
    page = client.get("/admin/compte/").get_data(as_text=True)
    match = re.search(r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*<ul class="navbar-nav ml-auto">', page, re.S)
    assert match, page[:2000]
    return match.group(1)


def _users_of(make, role):
    organismes = [make.organisme()] if role == "organisme" else []
    other = [make.organisme(), make.organisme()] if role == "organisme" else []
    first = make.user(role, organismes=organismes)
    kw = {}
    if role == FINANCEUR:  # another financeur than the first one's
        kw["financeur_code"] = db.session.query(Financeur.code).order_by(Financeur.code.desc()).limit(1).scalar()
    second = make.user(role, organismes=other, **kw)
    return first, second


def test_the_menu_depends_on_the_role_alone(app, make):
    clients = []
    for role in ROLES:
        for user in _users_of(make, role):
            client = app.test_client()
            login(client, user.identifiant)
            clients.append((role, client))
    fresh = {}
    for role, client in clients:  # computed afresh for every user
        fresh.setdefault(role, set()).add(_menu(client, app, fresh=True))
    assert all(len(menus) == 1 for menus in fresh.values()), fresh
    assert len({next(iter(menus)) for menus in fresh.values()}) == len(ROLES)  # each role its own menu
    app.extensions.pop(CACHE_KEY, None)
    for role, client in clients:  # then from the cache, filled by the roles in turn: never another role's
        assert _menu(client, app, fresh=False) in fresh[role], role
