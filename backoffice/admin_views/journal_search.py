"""What the journal's search box finds, on the journal's indexes (schema.sql: ix_history_numero,
ix_history_actor), whatever the size of the journal.

The journal holds every change of the base (2,000,000 rows on the bench base) and its search box
searches two columns: the record's number and the author's label (a role, "Robot", "Système",
"Import LHEO": a handful of distinct values). Searched by `contains` in Modifié le order, a text that
matches nothing read the whole journal (2.3 s at 100 %, bench/RESULTS.md). Here:
- an OF_/AF_/SE_ number, or its digits alone ("193353", as read on the phone): the rows of the
  records of that number, by equality;
- any other text: the rows whose author's label holds every word. The distinct labels are read
  by skipping along ix_history_actor (one probe per label, a recursive WITH); in the journal's
  default order, on PostgreSQL, the most recent rows of each label found are then read on that
  index and merged, at most the rows the pager reaches (a pool, as the actions' search:
  search_pool.py), so that a text matching no label or a rare one reads no more than that.
"""
from __future__ import annotations

from sqlalchemy import and_, false, func, select, true
from sqlalchemy.orm import aliased

from ..models import History
from ..rules import format_numero
from ..services.search_text import contains
from . import search_pool

NUMBER_DIGITS_MAX = 10  # the digits of an OF_/AF_/SE_ number (rules/identifiers.py)
RECENT = (History.at.desc(), History.id.desc())


def digits_numero_condition(text: str):
    """The rows of the records numbered `text` when it is digits alone (any prefix), else None."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > NUMBER_DIGITS_MAX or int(digits) == 0:
        return None
    return History.numero.in_([format_numero(prefix, int(digits)) for prefix in ("OF", "AF", "SE")])


def _labels_holding(words: list[str]):
    """SELECT of the distinct author labels of the journal holding every word."""
    labels = select(func.min(History.actor_label).label("label")).cte("actor_labels", recursive=True)
    later = aliased(History)
    labels = labels.union_all(
        select(select(func.min(later.actor_label)).where(later.actor_label > labels.c.label).scalar_subquery())
        .where(labels.c.label.is_not(None)))
    return select(labels.c.label).where(labels.c.label.is_not(None), *(contains(labels.c.label, w) for w in words))


def author_condition(text: str):
    """The rows whose author's label holds every word of `text`."""
    words = text.split()
    if not words:
        return false()
    return History.actor_label.in_(_labels_holding(words))


def pooled(query, text: str):
    """The journal's `query` (filters, default order; no page yet) kept to the most recent rows
    of the labels holding every word of `text`, read label by label on ix_history_actor."""
    words = text.split()
    if not words:
        return query.filter(false())
    found = _labels_holding(words).subquery("labels_found")
    latest = (query.filter(History.actor_label == found.c.label).order_by(None).order_by(*RECENT)
              .with_entities(History.id.label("id"), History.at.label("at"))
              .limit(search_pool.RELEVANCE_POOL).subquery().lateral("label_latest"))
    pool = (select(latest.c.id).select_from(found).join(latest, true())
            .order_by(latest.c.at.desc(), latest.c.id.desc()).limit(search_pool.RELEVANCE_POOL).cte("journal_pool"))
    return query.filter(and_(History.id.in_(select(pool.c.id))))
