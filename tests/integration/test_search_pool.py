"""The actions list's search in relevance order (admin_views/search_pool.py): the pool of actions
ranked is taken inside the list (scope, liste, filters), and an organisme's whole name looks up
its actions (services/organisme_name_search.py), in the page's one statement, on both backends."""

from backoffice.admin_views import search_pool
from tests.integration.test_export_grid import _filter
from tests.integration.test_query_counts import grid_statements
from tests.integration.test_search_french import actions_found, row_ids
from tests.integration.test_search_literal import as_user, page


def test_an_organisme_finds_its_own_actions_behind_a_full_pool_of_others(app, make, monkeypatch):
    mine, theirs = make.organisme(raison_sociale="Mon Atelier"), make.organisme(raison_sociale="Leur Atelier")
    own = make.action(mine, intitule="Soudure TIG")
    others = [make.action(theirs, intitule=f"Soudure {n}") for n in range(4)]  # changed after mine
    monkeypatch.setattr(search_pool, "RELEVANCE_POOL", 3)
    browser = as_user(app, make, "organisme", organismes=[mine])
    assert actions_found(browser, "soudure") == [own.numero]
    documentaliste = as_user(app, make, "documentaliste")
    found = actions_found(documentaliste, "soudure")
    assert set(found) == {a.numero for a in others[1:]} and own.numero not in found


def test_a_filtered_list_pools_what_its_filter_keeps(app, make, monkeypatch):
    kept = make.action(intitule="Soudure à l'arc", conventionnee=True)
    for n in range(4):
        make.action(intitule=f"Soudure {n}")
    monkeypatch.setattr(search_pool, "RELEVANCE_POOL", 3)
    browser = as_user(app, make, "documentaliste")
    body = page(browser, "/admin/actions/", liste="toute_offre", search="soudure",
                **{_filter("actions", "conventionnee", "BooleanEqualFilter"): "1"})
    assert row_ids(body, "actions") == {kept.id}


def test_an_organisme_whole_name_lists_its_actions(app, make):
    named = make.organisme(raison_sociale="EURL Bâtiment Santé Évry", nom_usuel="Bâtiment Santé Évry")
    lookalike = make.organisme(raison_sociale="EURL Bâtiment Santé Évry Sud")
    own = [make.action(named, intitule=t) for t in ("Maçonnerie", "Aide-soignant", "Santé au travail")]
    elsewhere = make.action(lookalike, intitule="Plâtrerie")
    words_only = make.action(intitule="EURL bâtiment : santé à Évry")  # every word, another organisme
    browser = as_user(app, make, "documentaliste")
    for typed in ("EURL Bâtiment Santé Évry", "eurl batiment SANTE evry", " Bâtiment  Santé Évry "):
        assert set(actions_found(browser, typed)) == {a.numero for a in own}, typed
    # a run of words that is no organisme's whole name: the word search, every match
    assert set(actions_found(browser, "Bâtiment Santé")) >= {*(a.numero for a in own), elsewhere.numero,
                                                           words_only.numero}
    assert set(actions_found(browser, "EURL Bâtiment Santé Évry Sud")) == {elsewhere.numero}


def test_an_organisme_user_typing_a_whole_name_sees_its_own_rows_only(app, make):
    mine = make.organisme(raison_sociale="Centre Alpha Formation")
    theirs = make.organisme(raison_sociale="Centre Beta Formation")
    own = make.action(mine, intitule="Centre Beta Formation : préparation")
    foreign = make.action(theirs, intitule="Anglais")
    browser = as_user(app, make, "organisme", organismes=[mine])
    assert actions_found(browser, "Centre Beta Formation") == []
    assert foreign.numero not in actions_found(browser, "centre")
    assert actions_found(browser, "Centre Alpha Formation") == [own.numero]


def test_a_name_looked_up_is_one_statement(app, make):
    named = make.organisme(raison_sociale="Institut Soudure Nord")
    action = make.action(named, intitule="Soudure TIG")
    browser = as_user(app, make, "documentaliste")
    for typed in ("Institut Soudure Nord", "soudure tig"):
        with grid_statements() as grid:
            found = row_ids(page(browser, "/admin/actions/", liste="toute_offre", search=typed), "actions")
        assert found == {action.id} and len(grid) == 1, (typed, grid)
