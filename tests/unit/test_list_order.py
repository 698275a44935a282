"""How the big lists order and page (admin_views/list_order.py): indicators in the order of their
labels, the reverse order behind "dernière page", the reachable pages said in French."""
import enum

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql

from backoffice import workflow as W
from backoffice.admin_views import list_order
from backoffice.models import Action
from backoffice.rules._text import fold

TABLE = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("etat", String))


@pytest.mark.parametrize("name, states", [("controle", W.Controle), ("publication", W.Publication),
                                          ("etat_fiche", W.EtatFiche)])
def test_indicators_sort_by_their_labels(name, states):
    """The expression the list sorts an indicator by orders its codes as their labels read (accents
    and case aside): the column itself, whose index (schema.sql) then serves the sort."""
    column = getattr(Action, name)
    expression = list_order.labelled_order(column, states)
    by_label = [m.value for m in sorted(states, key=lambda m: fold(W.LABELS[m]))]
    if expression is column:
        assert sorted(m.value for m in states) == by_label
    else:  # a CASE: the ranks follow the labels
        sql = str(expression)
        assert [sql.index(f"'{code}'") for code in by_label] == sorted(sql.index(f"'{code}'") for code in by_label)


def test_codes_sorting_unlike_their_labels_get_a_case_of_ranks(monkeypatch):
    class Etat(enum.Enum):
        A = "a_faire"
        B = "brouillon_x"

    monkeypatch.setitem(W.LABELS, Etat.A, "Zéro")
    monkeypatch.setitem(W.LABELS, Etat.B, "Début")
    sql = str(list_order.labelled_order(TABLE.c.etat, Etat))
    assert sql == "CASE t.etat WHEN 'brouillon_x' THEN 0 WHEN 'a_faire' THEN 1 END"


def test_the_last_page_reads_the_list_backwards():
    """Every ORDER BY term reversed, NULLS FIRST / LAST swapped with it, so that the same index
    serves the last page, read backwards."""
    query = select(TABLE.c.id).order_by(TABLE.c.etat.desc().nulls_last(), TABLE.c.id.asc())
    reversed_sql = str(select(TABLE.c.id).order_by(*[list_order.reversed_clause(c) for c in
                                                    query._order_by_clauses]).compile(dialect=postgresql.dialect()))
    assert reversed_sql.endswith("ORDER BY t.etat ASC NULLS FIRST, t.id DESC")


def test_pages_reachable_and_the_pager_says_so_in_french():
    assert list_order.reachable_pages(20) == 50 and list_order.reachable_pages(100) == 10
    assert list_order.reachable_pages(20, rows=40) == 2 and list_order.reachable_pages(5000) == 1
    assert list_order.pager_note(False, 20) is None and list_order.pager_note(True, 0) is None
    note = list_order.pager_note(True, 20)
    assert note.startswith("Les 50 premières pages sont accessibles") and "dernière page" in note
