"""The big lists' sorts, filters and pages as they are served through indexes (admin_views/
list_order.py, list_filters.py, models/sort_keys.py; figures: bench/bench_search.py).

On both backends: the organisme sort key follows the organisme's name on every write path; the
pager reaches the pages it shows and the last page; every sort and filter the four grids offer
answers, and the rewritten filters keep their meaning."""
import re
from datetime import date, datetime
from io import BytesIO

import pytest
from sqlalchemy import select, update

from backoffice.actor import SYSTEM, acting_as
from backoffice.admin_views.action import ActionView
from backoffice.admin_views.list_filters import FilterEqual, FinAvantFilter, LookupFilter
from backoffice.extensions import db
from backoffice.lheo_import import import_lheo
from backoffice.models import Action, Organisme
from tests.conftest import login
from tests.integration import lheo_screen_support
from tests.lheo_import_helpers import prepare_riche_referential

ORGANISME_SORT = "sort=2"  # the actions list's third column, Organisme


def _numeros(body: str, prefix: str = "AF") -> list[str]:
    return list(dict.fromkeys(re.findall(rf"{prefix}_\d{{10}}", body)))


def _listed(client, url: str, prefix: str = "AF") -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return _numeros(response.get_data(as_text=True), prefix)


def _rename(organisme, **names):
    with acting_as(SYSTEM):
        for key, value in names.items():
            setattr(organisme, key, value)
        db.session.commit()


def test_actions_sort_by_organisme_follows_its_name(client, make):
    """Created, then the organisme renamed (raison sociale, then a nom usuel given): its actions
    move in the list sorted by organisme, both directions, as the column shows the name."""
    zebre = make.organisme(raison_sociale="Zèbre Formation", nom_usuel=None)
    alpha = make.organisme(raison_sociale="Alpha Conseil", nom_usuel=None)
    of_zebre, of_alpha = make.action(zebre).numero, make.action(alpha).numero
    login(client, make.user("documentaliste").identifiant)
    assert _listed(client, f"/admin/actions/?{ORGANISME_SORT}") == [of_alpha, of_zebre]
    assert _listed(client, f"/admin/actions/?{ORGANISME_SORT}&desc=1") == [of_zebre, of_alpha]

    _rename(zebre, raison_sociale="Abeille Formation")
    assert _listed(client, f"/admin/actions/?{ORGANISME_SORT}") == [of_zebre, of_alpha]
    _rename(alpha, nom_usuel="AAA Conseil")  # the list shows the nom usuel: it sorts by it
    assert _listed(client, f"/admin/actions/?{ORGANISME_SORT}") == [of_alpha, of_zebre]
    keys = dict(db.session.execute(select(Action.numero, Action.organisme_tri)).all())
    assert keys == {of_alpha: "AAA Conseil", of_zebre: "Abeille Formation"}


def test_sort_key_of_actions_written_in_bulk_and_by_the_orm_writer(app):
    """The LHEO import's two paths (ORM writer, bulk COPY) give each action its organisme's name."""
    prepare_riche_referential()
    import_lheo(BytesIO(lheo_screen_support.feed(3)), "orm", bulk=False)
    import_lheo(BytesIO(lheo_screen_support.feed(4)), "bulk", batch_size=2)
    rows = db.session.execute(select(Action.source, Action.organisme_tri, Organisme.nom_usuel,
                                     Organisme.raison_sociale).join(Organisme, Action.organisme)).all()
    assert {source for source, *_ in rows} == {"orm", "bulk"}
    assert all(key == (nom_usuel or raison_sociale) for _source, key, nom_usuel, raison_sociale in rows)


@pytest.fixture
def small_reach(monkeypatch):
    """Two pages of 20 reachable by number (1,000 rows in the product)."""
    monkeypatch.setattr(ActionView, "count_cap", 40)


def test_pages_past_the_reachable_ones_and_the_last_page(client, make, small_reach):
    """65 actions, 40 rows reachable: page 5 asked shows page 2; the pager says what is reachable,
    in French, and links the last page, which lists the 20 last rows of the list in its order."""
    organisme = make.organisme()
    numeros = [make.action(organisme).numero for _ in range(65)]
    db.session.execute(update(Action).values(updated_at=datetime(2026, 3, 1, 2, 30)))  # ties: the id orders
    db.session.commit()
    in_order = sorted(numeros, reverse=True)  # Modifié le, then the id, descending
    login(client, make.user("documentaliste").identifiant)

    body = client.get("/admin/actions/?page=4").get_data(as_text=True)
    assert _numeros(body) == in_order[20:40]
    assert "Les 2 premières pages sont accessibles par leur numéro" in body and "plus de 40" in body
    last_url = re.search(r'class="pager-last" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert "fin=1" in last_url and "page=" not in last_url

    last = client.get(last_url).get_data(as_text=True)
    assert _numeros(last) == in_order[-20:] and "Vous êtes sur la dernière page." in last
    pager = last[last.index('class="pagination"'):]
    assert 'href="/admin/actions/?page=1' in pager and "fin=1" not in pager  # its links leave the last page
    assert _listed(client, f"/admin/actions/?{ORGANISME_SORT}&desc=1&fin=1") == \
        _listed(client, f"/admin/actions/?{ORGANISME_SORT}&desc=1&page_size=100")[-20:]


def test_last_page_of_a_list_every_page_of_which_is_reachable(client, make, small_reach):
    """25 rows: "dernière page" is the second page, its 5 rows, and the pager says nothing more."""
    organisme = make.organisme()
    numeros = sorted((make.action(organisme).numero for _ in range(25)), reverse=True)
    db.session.execute(update(Action).values(updated_at=datetime(2026, 3, 1, 2, 30)))
    db.session.commit()
    login(client, make.user("documentaliste").identifiant)
    body = client.get("/admin/actions/?fin=1").get_data(as_text=True)
    assert _numeros(body) == numeros[20:] and "premières pages sont accessibles" not in body


def _value(flt) -> str:
    kind = type(flt).__name__
    if "Between" in kind:
        return "2019-01-01 to 2019-12-31"
    if "Date" in kind:
        return "2020-01-01"
    options = flt.get_options(None)
    return options[0][0] if options else "1" if "Boolean" in kind or "Renseigne" in kind else "x"


@pytest.mark.parametrize("endpoint", ["actions", "sessions", "organismes", "journal"])
def test_every_sort_and_filter_of_the_grids_answers(client, app, make, endpoint):
    """Each sort, both ways, and each filter the grid offers (the bench measures the same list)."""
    action = make.action(make.organisme())
    make.session(action)
    login(client, make.user("documentaliste").identifiant)
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)
    columns = [name for name, _label in view._list_columns]
    urls = [f"/admin/{endpoint}/?sort={columns.index(name)}{desc}"
            for name in view._sortable_columns for desc in ("", "&desc=1")]
    with app.test_request_context():
        urls += [f"/admin/{endpoint}/?flt0_{view.get_filter_arg(i, flt)}={_value(flt)}"
                 for i, flt in enumerate(view._filters)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200 and "Erreur" not in response.get_data(as_text=True), url


def _filter_url(app, endpoint: str, name: str, operation, value: str) -> str:
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)
    with app.test_request_context():
        index, flt = next((i, f) for i, f in enumerate(view._filters) if str(f.name) == name and (
            isinstance(f, operation) if isinstance(operation, type) else str(f.operation()) == operation))
        return f"/admin/{endpoint}/?flt0_{view.get_filter_arg(index, flt)}={value}"


def test_rewritten_filters_keep_their_meaning(client, app, make):
    """Date de fin avant, Programme renseigné, Organisme vaut (the name shown) / contient (words of
    its names), Action (identifiant) vaut: the rows they name, no other."""
    cible = make.organisme(raison_sociale="Cible 100% Formation", nom_usuel=None)
    autre = make.organisme(raison_sociale="Autre Formation", nom_usuel=None)
    programme = db.session.scalars(select(db.Model.registry._class_registry["Programme"])).first()
    conventionnee = make.action(cible, conventionnee=True, programme=programme)
    libre = make.action(autre)
    ancienne = make.session(libre, date_debut=date(2018, 3, 1))
    recente = make.session(conventionnee, date_debut=date(2026, 3, 1))
    login(client, make.user("documentaliste").identifiant)

    assert _listed(client, _filter_url(app, "sessions", "Date de fin", FinAvantFilter, "2020-01-01"),
                   "SE") == [ancienne.numero]
    assert _listed(client, _filter_url(app, "sessions", "Action (identifiant)", "vaut",
                                       conventionnee.numero.lower()), "SE") == [recente.numero]
    assert _listed(client, _filter_url(app, "actions", "Programme", "renseigné", "1")) == [conventionnee.numero]
    assert _listed(client, _filter_url(app, "actions", "Programme", "renseigné", "0")) == [libre.numero]
    assert _listed(client, _filter_url(app, "actions", "Organisme", FilterEqual,
                                       "Cible 100%25 Formation")) == [conventionnee.numero]
    assert _listed(client, _filter_url(app, "actions", "Organisme", LookupFilter, "cible")) == [conventionnee.numero]
    assert _listed(client, _filter_url(app, "actions", "Organisme", LookupFilter, "formation")) == \
        sorted([conventionnee.numero, libre.numero], reverse=True)


def test_organisme_search_reaches_its_first_pages_only(client, make, monkeypatch):
    """Rechercher un organisme: a page past the reachable ones shows the last reachable one, says
    why in French and offers no next page (2 pages here, 50 in the product)."""
    from backoffice.admin_views import organisme_search

    monkeypatch.setattr(organisme_search, "reachable_pages", lambda size: 2)
    for _ in range(45):
        make.organisme(etat="brouillon")
    login(client, make.user("documentaliste").identifiant)
    body = client.get("/admin/recherche-organismes/?rechercher=1&page=7").get_data(as_text=True)
    assert "Page 2<" in body and "Page suivante" not in body and "Page précédente" in body
    assert "Les 2 premières pages de résultats sont accessibles" in body
    first = client.get("/admin/recherche-organismes/?rechercher=1").get_data(as_text=True)
    assert "Page suivante" in first and "premières pages de résultats" not in first
