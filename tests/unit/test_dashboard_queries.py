"""Unit tests of the dashboard's pure helpers: filter and criteria parsing, counter lists per role."""
import ast
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from backoffice import rules
from backoffice.services import dashboard_cache
from backoffice.services import offer_queries as oq
from backoffice.services import organisme_queries as orgq


def _user(role, **kw):
    return SimpleNamespace(is_authenticated=True, role_code=role, id=7, financeur_code=kw.get("financeur_code"))


@pytest.mark.parametrize("module", [oq, orgq, dashboard_cache])
def test_services_do_not_import_flask(module):
    """The query services import no Flask (views call them; jobs and benches may too)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.split(".")[0].startswith("flask") for name in names)


def test_counters_per_role_in_their_order():
    """Organisme users get their four counters; documentalists add the queue and archiving; financeurs theirs."""
    assert oq.counter_keys(_user("organisme")) == [
        "toute_offre", "saisies_en_cours", "organismes_brouillon", "donnees_a_modifier"]
    assert oq.counter_keys(_user("documentaliste")) == [
        "toute_offre", "saisies_en_cours", "organismes_brouillon", "donnees_a_modifier", "a_controler",
        "archivage_10_jours"]
    assert oq.counter_keys(_user("financeur", financeur_code="2")) == ["conventionnees"]
    assert oq.counter_keys(_user("support")) == oq.counter_keys(_user("admin")) == []
    assert oq.counter_keys(SimpleNamespace(is_authenticated=False)) == []
    labels = {k: v.label for k, v in {**oq.NAMED_LISTS, **oq.ORGANISME_LISTS}.items()}
    assert labels["toute_offre"] == "Afficher toute l'offre de formation"
    assert labels["saisies_en_cours"] == "Saisies en cours"
    assert labels["donnees_a_modifier"] == "Données à modifier"
    assert labels["organismes_brouillon"] == "Organismes de formation en brouillon"
    assert labels["archivage_10_jours"] == "Archivage automatique dans les 10 jours"
    assert oq.NAMED_LISTS["a_controler"].sort == ("soumis_le", False)


def test_counter_links():
    """Action counters link to the actions list with ?liste=; brouillon organismes to the validation
    queue for documentalists, to the organisme search for organisme users."""
    assert oq.counter_link("a_controler", _user("documentaliste")) == ("actions.index_view", {"liste": "a_controler"})
    assert oq.counter_link("organismes_brouillon", _user("documentaliste")) == ("preinscriptions.index_view", {})
    assert oq.counter_link("organismes_brouillon", _user("organisme")) == (
        "organisme_search.index", {"liste": "organismes_brouillon", "rechercher": "1"})


def test_filters_parse_and_round_trip():
    """Filters read from the query string, ignore blanks, report bad values in French, and round-trip."""
    assert oq.parse_filters({}).is_empty()
    assert oq.parse_filters({"f_of": "  ", "f_conv": "", "f_programme": ""}).is_empty()
    args = {"f_of": "Greta", "f_conv": "oui", "f_programme": "12", "f_source": "LHEO", "f_region": "11",
            "f_dept": "93", "f_duree_min": "35", "f_duree_max": "1200,5", "f_domaine": "31"}
    filters = oq.parse_filters(args)
    assert not filters.errors and not filters.is_empty()
    assert filters.conventionnee is True and filters.programme_id == 12 and filters.duree_max == Decimal("1200.5")
    assert oq.parse_filters(filters.to_args()) == filters
    assert oq.parse_filters({"f_conv": "non"}).conventionnee is False
    assert oq.parse_filters({"f_conv": "peut-être"}).conventionnee is None
    bad = oq.parse_filters({"f_duree_min": "abc", "f_duree_max": "-3", "f_programme": "1 OR 1=1"})
    assert dict(bad.errors).keys() == {"duree_min", "duree_max", "programme_id"}
    assert bad.is_empty()
    assert dict(oq.parse_filters({"f_duree_max": "1e9"}).errors) and oq.parse_filters({"f_duree_min": "NaN"}).errors
    # the parameters never collide with Flask-Admin's own list arguments
    reserved = {"page", "page_size", "sort", "desc", "search", "liste"}
    assert not any(p in reserved or p.startswith("flt") for p in oq.FILTER_PARAMS.values())


def test_search_condition_compiles_on_both_dialects():
    """Every filter together compiles on PostgreSQL and SQLite; none gives an always-true clause."""
    filters = oq.parse_filters({"f_of": "a%b", "f_conv": "non", "f_programme": "3", "f_source": "x", "f_region": "11",
                                "f_dept": "75", "f_duree_min": "1", "f_duree_max": "2", "f_domaine": "Anglais"})
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        sql = str(oq.search_filters_condition(filters).compile(dialect=dialect))
        assert sql.count("EXISTS") == 2  # Formacode + NSF tags
        assert sql.count("FROM session") == 1  # place and duration: the same session
    assert str(oq.search_filters_condition(oq.DashboardFilters())) == "true"


def test_archiving_window_bounds_follow_the_robot_rules():
    """The archiving list takes last ends after latest_end_archived_by(today - 1) up to that of today + 10."""
    today = date(2027, 3, 1)
    compiled = oq.ending_within(today).compile(compile_kwargs={"literal_binds": True})
    assert str(rules.latest_end_archived_by(date(2027, 2, 28))) in str(compiled)
    assert str(rules.latest_end_archived_by(date(2027, 3, 11))) in str(compiled)
    lo, hi = rules.latest_end_archived_by(date(2027, 2, 28)), rules.latest_end_archived_by(date(2027, 3, 11))
    for end in (date(2027, 1, 28), date(2027, 1, 31), date(2027, 2, 1), date(2027, 2, 11), date(2027, 2, 12)):
        inside = lo < end <= hi
        assert inside == (today <= rules.archiving_date(end) <= date(2027, 3, 11)), end


def test_organisme_criteria_parse():
    """Identifiant accepted as OF_ number (any case) or digits; tri-states; unknown liste dropped."""
    c = orgq.parse_criteria({"identifiant": " of_0000000042 ", "formation": "1", "conventionnee": "OUI",
                             "certifiant": "non", "programme": "4", "liste": "organismes_brouillon"})
    assert c.identifiant == "OF_0000000042" and c.formation and not c.financeur
    assert c.conventionnee is True and c.certifiant is False and c.programme_id == 4 and c.action_criteria()
    assert orgq.parse_criteria(c.to_args()) == c
    assert orgq.parse_criteria({"identifiant": "42"}).identifiant == "OF_0000000042"
    assert orgq.parse_criteria({"identifiant": "0"}).errors
    assert orgq.parse_criteria({"liste": "toute_offre"}).liste == ""
    assert not orgq.parse_criteria({}).action_criteria()
