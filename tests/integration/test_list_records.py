"""A list with list_load_only loads only the columns it names (SQLAlchemy's load_only): the page
must be exactly the one every column gives, for every such screen, role, order, search and page
size, and a column the view forgot to name must fail loudly, never show an empty cell nor run one
statement per row."""
import re
from datetime import date

import pytest
from flask_admin.model import BaseModelView
from flask_login import login_user
from sqlalchemy.exc import InvalidRequestError

from backoffice.extensions import db
from tests.conftest import login

TOKENS = re.compile(r'(?<=nonce=")[^"]+|[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}')  # CSP nonces, CSRF tokens


def _views(app):
    return [v for v in app.extensions["admin"][0]._views
            if isinstance(v, BaseModelView) and getattr(v, "list_load_only", None) is not None]


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return TOKENS.sub("TOKEN", response.get_data(as_text=True))


@pytest.fixture
def offers(make):
    """Rows with what a cell may lack: an organisme without nom usuel, a session without a place
    (distance learning), a CPF-eligible certification, a module."""
    plain = make.organisme(nom_usuel=None, raison_sociale="Zèbre Formation")
    named = make.organisme(nom_usuel="Alpha <b>Formation</b>")
    eligible = make.certification(eligible_cpf=True)
    first = make.action(plain, intitule="Soudure & chaudronnerie", certifications=[eligible])
    second = make.action(named, intitule="Anglais professionnel")
    make.action(named, intitule="Module d'anglais", type="module", parent=second)
    make.session(first, date_debut=date(2027, 3, 1))
    make.session(second, lieu=None, date_debut=date(2027, 2, 1))
    make.session(second, archivee=True, date_debut=date(2026, 1, 5))
    return plain, named


@pytest.mark.parametrize("role", ["documentaliste", "organisme"])
def test_the_named_columns_render_the_page_every_column_renders(app, client, make, offers, role):
    """Each list naming its columns renders, in every order, search and page size, the HTML it
    renders with every column loaded; Organisme.nom (a model property) reads the loaded columns."""
    plain, _named = offers
    user = make.user(role, organismes=[plain]) if role == "organisme" else make.user(role)
    login(client, user.identifiant)
    views = _views(app)
    assert {v.endpoint for v in views} >= {"actions", "sessions"}
    for view in views:
        base = view.url.rstrip("/") + "/"
        urls = [base, base + "?search=anglais", base + "?page_size=50", base + "?desc=1&sort=1"]
        urls += [f"{base}?sort={i}" for i, (name, _label) in enumerate(view._list_columns) if view.is_sortable(name)]
        named = view.list_load_only
        for url in urls:
            with_named_columns = _page(client, url)
            view.list_load_only = None
            try:
                with_every_column = _page(client, url)
            finally:
                view.list_load_only = named
            assert with_named_columns == with_every_column, url
    actions = _page(client, "/admin/actions/")
    assert "Zèbre Formation" in actions  # no nom usuel: the raison sociale
    assert ("Alpha &lt;b&gt;Formation&lt;/b&gt;" in actions) is (role == "documentaliste")


@pytest.mark.parametrize("endpoint, unnamed", [("sessions", "heures_centre"), ("actions", "contenu")])
def test_a_column_the_view_did_not_name_is_an_error(app, make, offers, endpoint, unnamed):
    """Reading a column outside list_load_only on a row of the page raises, on the row and on a
    joined relation's row: a statement per row would go unnoticed."""
    view = next(v for v in _views(app) if v.endpoint == endpoint)
    user = make.user("documentaliste")
    with app.test_request_context():
        login_user(user)
        db.session.expunge_all()  # rows loaded afresh, as in a request of their own
        count, rows = view.get_list(0, None, None, None, [])
        assert count == len(rows) == 3
        for row in rows:
            for path in view.list_load_only:  # what the view names is there
                value = row
                for part in path.split("."):
                    value = getattr(value, part) if value is not None else None
        relation = getattr(rows[0], "organisme" if endpoint == "actions" else "action")
        for record, column in ((rows[0], unnamed), (relation, "version_id")):
            with pytest.raises(InvalidRequestError):
                getattr(record, column)
        db.session.rollback()
