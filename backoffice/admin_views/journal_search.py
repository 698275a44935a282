"""What the journal's search box finds, on the journal's indexes (schema.sql: ix_history_numero,
ix_history_label_search, ix_history_actor), whatever the size of the journal.

The journal holds every change of the base (2,000,000 rows on the bench base) and its search box
searches two columns: the record's number (or, for a record without one, its label: a contact's
name, a referential's code and label) and the author's label (a role, "Robot", "Système",
"Import LHEO": a handful of distinct values). Searched by `contains` in date order, a text that
matched nothing read the whole journal (2.3 s at 100 %, bench/RESULTS.md). Here:
- an OF_/AF_/SE_ number, or its digits alone ("193353", as read on the phone): the rows of the
  records of that number, by equality;
- any other text: the rows of the records without a number whose label holds every word (a
  trigram index kept on those rows only), and the rows whose author's label holds every word. The
  distinct author labels are read by skipping along ix_history_actor (one probe per label, a
  recursive WITH). In the journal's default order, on PostgreSQL, the most recent rows of each
  label found are read on that index, merged with the records found, at most the rows the pager
  reaches (a pool, as the actions' search: search_pool.py), so that a text matching nothing or
  little reads no more than that.
"""
from __future__ import annotations

from sqlalchemy import and_, false, func, or_, select, text, true, union_all
from sqlalchemy.orm import aliased

from ..models import History
from ..rules import format_numero
from ..rules.identifiers import NUMERO_PREFIX
from ..services.search_text import contains
from . import search_pool

RECENT = (History.at.desc(), History.id.desc())


def digits_numero_condition(text: str):
    """The rows of the records numbered `text` when it is digits alone (any prefix), else None."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()):
        return None
    try:  # rules/identifiers.py says which numbers exist
        numbers = [format_numero(prefix, int(digits)) for prefix in NUMERO_PREFIX.values()]
    except ValueError:
        return None
    return History.numero.in_(numbers)


def _labels_holding(words: list[str]):
    """SELECT of the distinct author labels of the journal holding every word."""
    labels = select(func.min(History.actor_label).label("label")).cte("actor_labels", recursive=True)
    later = aliased(History)
    labels = labels.union_all(
        select(select(func.min(later.actor_label)).where(later.actor_label > labels.c.label).scalar_subquery())
        .where(labels.c.label.is_not(None)))
    return select(labels.c.label).where(labels.c.label.is_not(None), *(contains(labels.c.label, w) for w in words))


# schema.sql's ix_history_label_search is kept on the rows of this very condition
UNNUMBERED = text("substr(history.numero, 1, 3) NOT IN ('OF_', 'AF_', 'SE_')")


def _records_labelled(words: list[str]):
    """The rows of the records without a number whose label holds every word."""
    return and_(UNNUMBERED, *(contains(History.numero, word) for word in words))


def text_condition(text_: str):
    """The rows whose record's label or author's label holds every word of `text_`."""
    words = text_.split()
    if not words:
        return false()
    return or_(_records_labelled(words), History.actor_label.in_(_labels_holding(words)))


def _latest_ids(query):
    return (query.order_by(None).order_by(*RECENT).with_entities(History.id.label("id"), History.at.label("at"))
            .limit(search_pool.RELEVANCE_POOL))


def pooled(query, text_: str):
    """The journal's `query` (filters, default order; no page yet) kept to the most recent rows
    `text_` finds: the records labelled so (their trigram index), and each author label found
    read on ix_history_actor."""
    words = text_.split()
    if not words:
        return query.filter(false())
    found = _labels_holding(words).subquery("labels_found")
    by_author = _latest_ids(query.filter(History.actor_label == found.c.label)).subquery().lateral("label_latest")
    authors = select(by_author.c.id, by_author.c.at).select_from(found).join(by_author, true())
    # fenced (OFFSET 0): read on the trigram index, then sorted; in date order PostgreSQL would walk
    # the whole journal by date for the few rows, or none, of records labelled so
    labelled = (query.filter(_records_labelled(words)).order_by(None)
                .with_entities(History.id.label("id"), History.at.label("at")).offset(0).subquery("records_found"))
    records = (select(labelled.c.id, labelled.c.at).order_by(labelled.c.at.desc(), labelled.c.id.desc())
               .limit(search_pool.RELEVANCE_POOL).subquery("records_latest"))
    merged = union_all(select(records.c.id, records.c.at), authors).subquery("journal_found")
    pool = (select(merged.c.id).order_by(merged.c.at.desc(), merged.c.id.desc())
            .limit(search_pool.RELEVANCE_POOL).cte("journal_pool"))
    return query.filter(History.id.in_(select(pool.c.id)))
