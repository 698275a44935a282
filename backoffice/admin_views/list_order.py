"""How a list is ordered and how far it pages (figures: bench/RESULTS.md, bench_search).

- Indicators sort by the order of their labels as the list shows them, not of their codes: the
  column itself when both orders agree (its index serves), else a CASE mapping each code to its
  rank (then an index on that expression would be needed; today every indicator's codes sort like
  their labels: tests/unit/test_list_order.py).
- A page costs what page 1 costs: OFFSET makes the database read and drop every row before the
  page (seconds at page 20,000), so only the first `REACHABLE_ROWS` rows are reachable by page
  number; the pager says so in French and offers the last page, served by reading the list in the
  reverse order (`?fin=1`: the same index, backwards), i.e. as cheap as the first one.
"""
from sqlalchemy import literal_column
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from .. import workflow as W
from ..rules._text import fold

REACHABLE_ROWS = 1000  # rows reachable by page number: 50 pages of 20
LAST_PAGE_ARG = "fin"
REVERSED = {operators.desc_op: "asc", operators.asc_op: "desc"}
SWAPPED_NULLS = {operators.nulls_first_op: "nulls_last", operators.nulls_last_op: "nulls_first"}


def labelled_order(column, enum):
    """The expression that sorts `column` (codes of `enum`) by their labels in French."""
    members = list(enum)
    by_label = sorted(members, key=lambda member: fold(W.LABELS[member]))
    if [m.value for m in by_label] == sorted(m.value for m in members):
        return column
    return literal_column(case_sql(f"{column.table.name}.{column.name}", by_label))


def case_sql(column_sql: str, members) -> str:
    whens = " ".join(f"WHEN '{member.value}' THEN {rank}" for rank, member in enumerate(members))
    return f"CASE {column_sql} {whens} END"


def reversed_clause(clause):
    """ORDER BY clause in the other direction (NULLS FIRST/LAST swapped with it)."""
    if isinstance(clause, UnaryExpression) and clause.modifier in SWAPPED_NULLS:
        return getattr(reversed_clause(clause.element), SWAPPED_NULLS[clause.modifier])()
    if isinstance(clause, UnaryExpression) and clause.modifier in REVERSED:
        return getattr(clause.element, REVERSED[clause.modifier])()
    return clause.desc()


def reversed_order(query):
    """The query in the reverse order of its ORDER BY (the last rows first)."""
    clauses = list(query._order_by_clauses)
    return query.order_by(None).order_by(*[reversed_clause(c) for c in clauses])


def reachable_pages(page_size: int, rows: int = REACHABLE_ROWS) -> int:
    return max(rows // max(page_size, 1), 1)


def pager_note(longer: bool, page_size: int, rows: int = REACHABLE_ROWS) -> str | None:
    """What the pager says when the list is `longer` than the rows page numbers reach, else None."""
    if not page_size or not longer:
        return None
    pages = reachable_pages(page_size, rows)
    return (f"Les {pages} premières pages sont accessibles par leur numéro, ainsi que la dernière page. "
            "Pour voir les autres lignes, affinez la recherche ou les filtres, ou triez autrement.")
