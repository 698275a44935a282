"""The actions a list's search puts in relevance order: a pool of the most recently changed ones
found, taken in the list itself (its scope, its liste, its filters).

Ranking every action found by a common word ("professionnel": most of the base) would cost the
rank of each (seconds at 400,000 actions); the list's index on Modifié le stops at the pool
(RELEVANCE_POOL). Taken from the list's own query, an organisme's user gets the most recent of its own
actions found, not the most recent of the whole base's, of which none may be its own; and a
filtered list pools what its filter keeps.

A whole organisme name (services/organisme_name_search.py) pools that organisme's actions on
their index; the word search then does not run at all (its branch is cut off by one uncorrelated
EXISTS, evaluated once). Everything stays in the page's one statement (a WITH: the page's rows and
its bounded count read the pool once)."""
from __future__ import annotations

from sqlalchemy import select, true, union_all

from ..models import Action
from ..services.organisme_name_search import named_organismes
from ..services.search_text import text_condition
from .list_order import REACHABLE_ROWS

# the most recently changed actions found, put in relevance order: the rows the pager reaches
# (list_order.py REACHABLE_ROWS), and one more so that the list still says "plus de 1 000"
RELEVANCE_POOL = REACHABLE_ROWS + 1


RECENT = (Action.updated_at.desc(), Action.id.desc())


def _recent_ids(query):
    """The ids of `query`'s first RELEVANCE_POOL rows, most recently changed first, as a sub-select."""
    return query.order_by(None).order_by(*RECENT).with_entities(Action.id).limit(RELEVANCE_POOL).subquery()


def _recent_of_named(base, named):
    """The ids of the most recent actions of the organismes `named` (a CTE) in `base`. On
    PostgreSQL, per organisme (LATERAL) on its index in Modifié le order, merged: the largest
    organisme's 35,000 actions are not all read and sorted for their 1,001 latest (16 ms)."""
    limit = RELEVANCE_POOL
    if base.session.get_bind().dialect.name != "postgresql":  # SQLite: no LATERAL, and small bases
        return _recent_ids(base.filter(Action.organisme_id.in_(select(named.c.id))))
    latest = (base.filter(Action.organisme_id == named.c.id).order_by(None).order_by(*RECENT)
              .with_entities(Action.id.label("id"), Action.updated_at.label("updated_at"))
              .limit(limit).subquery().lateral("named_recent"))
    return (select(latest.c.id).select_from(named).join(latest, true())
            .order_by(latest.c.updated_at.desc(), latest.c.id.desc()).limit(limit).subquery())


def pooled(query, text: str):
    """The list's `query` (scope, liste, filters, order; no page yet) kept to the pool of the
    actions `text` finds in it."""
    found = query.filter(text_condition(Action, text))
    named = named_organismes(text)
    if named is None:
        pool = select(_recent_ids(found).c.id)
    else:
        named = named.cte("named_organismes")  # read once for both branches
        by_name = _recent_of_named(query, named)
        by_words = _recent_ids(found.filter(~select(named.c.id).exists()))
        pool = union_all(select(by_name.c.id), select(by_words.c.id))
    pool = pool.cte("relevance_pool")
    return query.filter(Action.id.in_(select(pool.c.id)))
