"""SQL statements per page: bounded, and not growing with the data, on every admin screen.

Every list and fiche registered in the admin (and every other admin page: dashboard, searches...)
is found from the Admin object itself (no list to
keep up to date), then requested by the roles that may see it, twice: with 5 organismes' worth of
records (organisme, adresse, contact, certification, programme, action with its links, 2 sessions,
a user), then after 35 more of them and 60 more children of every kind on the first organisme.
Lists are asked for 50 rows a page, so they show 5 rows, then 40. Counted, never timed: the
statements must not be more the second time and stay under a small bound, and no <select> may
list a table that grows with the base (it must be an ajax picker). PostgreSQL only: the counts do
not depend on the database, and the test is long-ish.
"""
import re
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import lxml.html
import pytest
from flask_admin.model import BaseModelView
from sqlalchemy import event, inspect

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import Adresse, Certification, Contact, Organisme, Session
from tests.conftest import login

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

ROLES = ("documentaliste", "organisme", "admin", "financeur", "support")
LIST_MAX = 6  # log-in user load + bounded count + rows (with their many-to-one joins) + a few selectin loads
FICHE_MAX = 20
UNITS_SMALL, UNITS_BIG, CHILDREN = 5, 40, 60
# A <select> growing this much lists unbounded data: a whole table (35 more rows) or one organisme's
# whole book (60 more): at 50,000 organismes or 2,000 contacts of one organisme, an ajax picker is needed.
SELECT_GROWTH = 30
AUTH_SQL = re.compile(r"\bFROM users\b|= user_organisme\.user_id\b", re.I)  # the logged-in user and its organismes


@contextmanager
def grid_statements():
    """The statements run inside the block, but the logged-in user's (AUTH_SQL): a list filled as they run."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if not AUTH_SQL.search(statement):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _unit(make, n: int, programme):
    """One organisme's worth of records of every kind."""
    organisme = make.organisme(raison_sociale=f"Organisme {n}")
    make.adresse(organisme, libelle=f"Site {n}")
    contact = make.contact(organisme, nom=f"Contact{n}")
    certification = make.certification()
    action = make.action(organisme, intitule=f"Action {n}", certifications=[certification], contact=contact,
                         conventionnee=True, programme=programme)
    make.session(action)
    make.session(action)
    make.user("organisme", organismes=[organisme])
    return organisme, action


def _grow_first(organisme, action):
    """CHILDREN more addresses, contacts, sessions and certifications on the first organisme's records."""
    with acting_as(SYSTEM):
        adresses = [Adresse(organisme=organisme, libelle=f"Annexe {k}", code_postal="75011", ville="Paris",
                            departement_code="75", region_code="11") for k in range(CHILDREN)]
        contacts = [Contact(organisme=organisme, nom=f"Annexe{k}", prenom="Paul") for k in range(CHILDREN)]
        sessions = [Session(action=action, date_debut=date(2027, 1, 4) + timedelta(days=k),
                            date_fin=date(2027, 4, 4) + timedelta(days=k), duree_totale=Decimal("35"),
                            modalite_code="presentiel", lieu=adresses[k]) for k in range(CHILDREN)]
        certifications = [Certification(code_rncp=f"RNCP8{k:04d}", intitule=f"Titre annexe {k}", niveau_code="4")
                          for k in range(CHILDREN)]
        db.session.add_all([*adresses, *contacts, *sessions, *certifications])
        action.certifications.extend(certifications)
        db.session.commit()


class Counter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)


def _model_views(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, BaseModelView)]


def _other_views(app):
    """Dashboard, searches, support desk, monitoring...: pages that are neither a list nor a fiche."""
    return [v for v in app.extensions["admin"][0]._views if not isinstance(v, BaseModelView)]


def _first_pk(view):
    pk = inspect(view.model).primary_key[0]
    return db.session.query(pk).order_by(pk).limit(1).scalar()


def _selects(html: str) -> dict[str, int]:
    doc = lxml.html.fromstring(html)
    return {s.get("name") or s.get("id") or f"select{i}": len(s.xpath(".//option"))
            for i, s in enumerate(doc.xpath("//select"))}


def _measure(app, clients) -> dict:
    """(role, view endpoint, page) -> (statements, <select> sizes) for every page a role may see."""
    counter = Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    seen = {}
    try:
        for role, client in clients.items():
            pages_of = {}
            for view in _model_views(app):
                pages = {"list": f"{view.url}/?page_size=50"}
                first = _first_pk(view)
                if first is not None:
                    pages["edit"] = f"{view.url}/edit/?id={first}"
                    pages["details"] = f"{view.url}/details/?id={first}"
                pages_of[view.endpoint] = pages
            for view in _other_views(app):
                pages_of[view.endpoint] = {"page": f"{view.url.rstrip('/')}/"}
            for endpoint, pages in pages_of.items():
                for kind, url in pages.items():
                    counter.statements = []
                    response = client.get(url)
                    if response.status_code != 200:
                        continue
                    grid = [s for s in counter.statements if not AUTH_SQL.search(s)]
                    seen[(role, endpoint, kind)] = (len(counter.statements), len(grid),
                                                         _selects(response.get_data(as_text=True)), grid)
                    db.session.remove()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return seen


def test_statements_per_page_are_bounded_and_do_not_grow_with_the_data(app, make):
    """Every list and fiche runs the same small number of statements with 5 or 40 rows, and no picker lists a whole table."""
    programme = make.programme()
    first_organisme, first_action = _unit(make, 1, programme)
    for n in range(2, UNITS_SMALL + 1):
        _unit(make, n, programme)
    users = {role: make.user(role) for role in ROLES if role != "organisme"}
    users["organisme"] = make.user("organisme", organismes=[first_organisme])
    clients = {}
    for role, user in users.items():
        clients[role] = app.test_client()
        login(clients[role], user.identifiant)

    small = _measure(app, clients)
    for n in range(UNITS_SMALL + 1, UNITS_BIG + 1):
        _unit(make, n, programme)
    # the organisme user now manages every organisme: its scoped lists grow too
    user = db.session.merge(users["organisme"])
    user.organismes = db.session.query(Organisme).all()
    db.session.commit()
    _grow_first(db.session.merge(first_organisme), db.session.merge(first_action))
    big = _measure(app, clients)

    assert any(kind == "list" for _r, _e, kind in small), "no list page answered 200"
    problems = []
    for key, (total, _grid, selects, statements) in sorted(big.items()):
        role, endpoint, kind = key
        if key not in small:
            continue
        before_total, _before_grid, before_selects, before_statements = small[key]
        bound = LIST_MAX if kind == "list" else FICHE_MAX
        if total > before_total:  # fewer is fine (a cache warmed by the first visit)
            extra = [s for s in statements if s not in before_statements][:3]
            problems.append(f"{role} {endpoint} {kind}: {before_total} statements with little data, {total} with more "
                            f"(grows with the data: one query per row?) e.g. {[' '.join(s.split())[:160] for s in extra]}")
        if total > bound:
            problems.append(f"{role} {endpoint} {kind}: {total} statements (bound {bound})")
        for name, options in selects.items():
            if options - before_selects.get(name, 0) >= SELECT_GROWTH:
                problems.append(f"{role} {endpoint} {kind}: <select {name}> lists {options} options, "
                                f"{before_selects.get(name, 0)} before: it lists unbounded data (a whole table or an "
                                f"organisme's whole book), use a scoped ajax picker")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_a_list_reads_outside_a_transaction_and_a_fiche_inside_one(client, make):
    """On PostgreSQL a list page's reads run in autocommit (no BEGIN/ROLLBACK round trips); the
    fiche and its save keep their transaction."""
    organisme = make.organisme()
    action = make.action(organisme)
    make.session(action)
    login(client, make.user("documentaliste").identifiant)
    seen = []

    def record(conn, _cursor, statement, _params, _context, _many):
        seen.append(conn.connection.dbapi_connection.autocommit)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        modes = {}
        for url in ("/admin/actions/", "/admin/sessions/", "/admin/organismes/", f"/admin/actions/edit/?id={action.id}"):
            db.session.close()  # the test's session is the request's (one app context): as a new request finds it
            seen.clear()
            assert client.get(url).status_code == 200
            modes[url] = set(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert modes.pop(f"/admin/actions/edit/?id={action.id}") == {False}
    assert all(found == {True} for found in modes.values()), modes


def test_a_fiche_reads_a_referential_once_however_many_pickers_list_it(client, make):
    """The action fiche has two <select>s over the niveaux (entrée, sortie): one statement reads the
    table for both, and each still shows the action's own level selected."""
    action_id = make.action(make.organisme(), niveau_entree_code="3", niveau_sortie_code="5").id
    login(client, make.user("documentaliste").identifiant)
    counter = Counter()
    db.session.close()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        response = client.get(f"/admin/actions/edit/?id={action_id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    assert response.status_code == 200
    whole_table = [s for s in counter.statements if re.search(r"\bFROM niveau\s*$", " ".join(s.split()))]
    assert len(whole_table) == 1, whole_table
    page = lxml.html.fromstring(response.get_data(as_text=True))
    for name, code in (("niveau_entree", "3"), ("niveau_sortie", "5")):
        select = page.get_element_by_id(name)
        assert [o.get("value") for o in select.iter("option") if o.get("selected") is not None] == [code]
        assert len(select.findall("option")) > 10  # the whole referential, not just the selected level
