"""The journal's search box on its indexes (admin_views/journal_search.py), on both backends: a
number with or without its prefix finds its records' rows, other words the authors' labels,
inside the list's filters, in one statement, and a text matching nothing finds nothing."""
import re

from backoffice.actor import ROBOT, Actor, acting_as
from backoffice.admin_views import search_pool
from backoffice.extensions import db
from tests.integration.test_history_readable import _filter_arg
from tests.integration.test_query_counts import grid_statements
from tests.integration.test_search_literal import as_user, page

NUMERO = re.compile(r"\b(?:OF|AF|SE)_\d{10}\b")


def numbers(body: str) -> set[str]:
    return set(NUMERO.findall(body))


def _journal(make):
    """Rows by three authors: an organisme's staff, the Robot, an import."""
    organisme = make.organisme(raison_sociale="Atelier Soudure")
    first, second = make.action(organisme), make.action(organisme)
    user = make.user("organisme", organismes=[organisme])
    with acting_as(Actor(user.id, "Organisme de formation")):
        first.objectif = "Souder à l'arc"
        db.session.commit()
    with acting_as(ROBOT):
        second.objectif = "Archivée par le Robot"
        db.session.commit()
    with acting_as(Actor(None, "Import LHEO")):
        first.contenu = "Importé"
        db.session.commit()
    return organisme, first, second


def test_a_number_with_or_without_its_prefix_finds_its_records_rows(app, make):
    organisme, first, second = _journal(make)
    browser = as_user(app, make, "documentaliste")
    digits = str(int(second.numero[3:]))
    for typed in (second.numero, second.numero.lower(), digits, f"  {digits} "):
        found = numbers(page(browser, "/admin/journal/", search=typed))
        assert second.numero in found and first.numero not in found, typed


def test_words_find_the_authors_labels_in_any_order_and_nothing_else(app, make):
    _organisme, first, second = _journal(make)
    browser = as_user(app, make, "documentaliste")
    robot = page(browser, "/admin/journal/", search="robot")
    assert second.numero in numbers(robot) and "Archivée par le Robot" in robot
    assert "Souder à l'arc" not in robot
    imported = page(browser, "/admin/journal/", search="lheo IMPORT")
    assert "Importé" in imported and "Archivée par le Robot" not in imported
    for typed in ("zzzz", "robot zzzz", "%", "_", "12345678901"):
        body = page(browser, "/admin/journal/", search=typed)
        assert numbers(body) == set(), typed


def test_a_filtered_journal_pools_what_its_filter_keeps(app, make, monkeypatch):
    _organisme, first, second = _journal(make)
    with acting_as(ROBOT):
        first.objectif = "Relu par le Robot"
        db.session.commit()
        for n in range(3):  # the Robot's latest rows are the other action's
            second.objectif = f"Robot, passage {n}"
            db.session.commit()
    monkeypatch.setattr(search_pool, "RELEVANCE_POOL", 1)
    browser = as_user(app, make, "documentaliste")
    journal = page(browser, "/admin/journal/")
    numero_filter = _filter_arg(journal, "Identifiant", ("vaut", "égal à"))
    body = page(browser, "/admin/journal/", search="robot", **{numero_filter: first.numero})
    assert "Relu par le Robot" in body and second.numero not in numbers(body)


def test_a_searched_journal_page_is_one_statement(app, make):
    _organisme, _first, second = _journal(make)
    browser = as_user(app, make, "documentaliste")
    for typed, expected in (("robot", 1), (str(int(second.numero[3:])), 1), ("zzzz", 2)):
        with grid_statements() as grid:
            page(browser, "/admin/journal/", search=typed)
        # the rows with their count in one; a page without rows counts apart (list_query.py _page)
        assert len(grid) == expected, (typed, grid)
