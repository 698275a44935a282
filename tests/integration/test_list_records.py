"""A list with list_load_only renders its rows from records (list_records.py), not ORM objects:
the page must be exactly the one the ORM objects give, for every such screen, role, order, search
and filter, and a column the view forgot to name must fail loudly, never show an empty cell."""
import re
from datetime import date

import pytest
from flask_admin.model import BaseModelView

from backoffice.admin_views.list_records import Record, RecordShape
from backoffice.extensions import db
from backoffice.models import Session
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
def test_records_render_the_page_the_orm_objects_render(app, client, make, offers, role):
    plain, _named = offers
    user = make.user(role, organismes=[plain]) if role == "organisme" else make.user(role)
    login(client, user.identifiant)
    views = _views(app)
    assert {v.endpoint for v in views} >= {"actions", "sessions"}
    for view in views:
        base = view.url.rstrip("/") + "/"
        urls = [base, base + "?search=anglais", base + "?page_size=50", base + "?desc=1&sort=1"]
        urls += [f"{base}?sort={i}" for i, (name, _label) in enumerate(view._list_columns) if view.is_sortable(name)]
        for url in urls:
            with_records = _page(client, url)
            view.list_as_records = False
            try:
                with_orm = _page(client, url)
            finally:
                view.list_as_records = True
            assert with_records == with_orm, url
    actions = _page(client, "/admin/actions/")
    assert "Zèbre Formation" in actions  # Organisme.nom over the record: no nom usuel, the raison sociale
    assert ("Alpha &lt;b&gt;Formation&lt;/b&gt;" in actions) is (role == "documentaliste")


def test_the_rows_are_records_of_the_named_columns_only(app, offers):
    view = next(v for v in _views(app) if v.endpoint == "sessions")
    with app.test_request_context():
        shape = RecordShape(Session, view.list_load_only)
        rows = [shape.build(row) for row in shape.select(db.session.query(Session).order_by(Session.id), 10, 0)]
    assert len(rows) == 3 and all(isinstance(r, Record) for r in rows)
    distance = [r for r in rows if r.lieu is None]
    assert len(distance) == 1 and distance[0].action.numero.startswith("AF_")
    with pytest.raises(AttributeError):
        rows[0].heures_centre  # not named by the view: an error, not an empty cell


def test_a_relation_of_a_relation_and_a_model_property(app, offers):
    """Paths two relations deep join each level once; a model property reads the record's columns."""
    with app.test_request_context():
        shape = RecordShape(Session, ("numero", "action.organisme.raison_sociale", "action.organisme.nom_usuel"))
        rows = [shape.build(row) for row in shape.select(db.session.query(Session).order_by(Session.id), None, 0)]
    assert [r.action.organisme.nom for r in rows] == ["Zèbre Formation", "Alpha <b>Formation</b>",
                                                      "Alpha <b>Formation</b>"]
