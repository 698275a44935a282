"""The inside of a list's rows is a copy of Flask-Admin's list.html block `list_row` and of its
row_actions.html macros (admin_views/list_rows.py, kept for its cost: bench/RESULTS.md). The fence
around it: every list renders, for every role, exactly the HTML of Flask-Admin's own block
(whitespace aside), and the copy names the Flask-Admin version it was taken from, so that an
upgrade fails here until someone re-reads the copy against the new templates."""
import re
from importlib.metadata import version

import pytest

from backoffice.admin_views.list_rows import UPSTREAM_VERSION
from backoffice.permissions import ROLES
from tests.conftest import login

TOKENS = re.compile(r'(?<=nonce=")[^"]+|[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}')  # CSP nonces, CSRF tokens


def _normalised(html: str) -> list[str]:
    """The page's tags and texts, whitespace collapsed: the copy writes its HTML on fewer lines."""
    html = re.sub(r"\s+", " ", TOKENS.sub("TOKEN", html))
    html = re.sub(r"\s*([<>])\s*", r"\1", html)
    return [part for part in re.split(r"(?=<)", html) if part]


def test_the_copy_is_of_the_installed_flask_admin():
    """The copy was taken from the Flask-Admin that is installed."""
    assert version("flask-admin") == UPSTREAM_VERSION, (
        "Flask-Admin was upgraded: compare admin_views/list_rows.py with the new "
        "templates/bootstrap4/admin/model/list.html (block list_row) and row_actions.html (macros link, "
        "view_row, edit_row, delete_row), then update UPSTREAM_VERSION")


@pytest.mark.parametrize("role", ROLES)
def test_every_list_renders_the_html_of_flask_admins_own_template(app, client, make, role):
    """Each list using the copy, page after page, equals the same list rendered by list.html itself."""
    organisme = make.organisme(raison_sociale="Formation <Zèbre> & fils")
    make.adresse(organisme)
    make.contact(organisme, nom="O'Hara")
    action = make.action(organisme)
    make.session(action)
    make.session(action, lieu=None)
    user = make.user(role, organismes=[organisme] if role == "organisme" else [])
    login(client, user.identifiant)
    compared = set()
    for view in app.extensions["admin"][0]._views:
        if not getattr(view, "list_rows_in_python", False):
            continue
        base = view.url.rstrip("/") + "/"
        for url in (base, base + "?page_size=50&desc=1&sort=0", base + "?search=a%27b%20%3C"):
            copy = client.get(url)
            if copy.status_code == 403:
                break
            assert copy.status_code == 200, url
            view.list_rows_in_python = False
            try:
                stock = client.get(url)
            finally:
                view.list_rows_in_python = True
            assert _normalised(copy.get_data(as_text=True)) == _normalised(stock.get_data(as_text=True)), url
            compared.add(view.endpoint)
    assert compared  # every role has at least one such list (financeur: sessions; support, admin: users)
    if role == "documentaliste":  # deletes: the delete form of every row; actions: their own icon
        assert {"actions", "sessions", "organismes", "adresses", "contacts"} <= compared
