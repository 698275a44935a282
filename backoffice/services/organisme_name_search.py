"""An organisme's whole name typed in the actions' search box: its actions, at once.

A documentaliste given an organisme's name on the phone types it whole ("EURL Bâtiment Santé
Évry"). Searched word by word, every word is also in each of that organisme's actions' keys
(models/search_keys.py copies the organisme's names into them): the largest organisme of the
bench base makes 35,000 matches, all read to keep the most recently changed (over 100 ms at
400,000 actions, bench/RESULTS.md), for the list to show that organisme's actions anyway. So a
text that is, accents, case and spacing aside, the raison sociale or the nom usuel of one or more
organismes (in two words or more: rules/search_text.py name_pattern) is looked up as an OF_
number is (services/search_text.py numero_condition): the actions of those organismes, read on
their index in Modifié le order. What this gives up: an action of another organisme whose own
texts carry every word of that name is not listed then. No Flask import.
"""
from __future__ import annotations

from sqlalchemy import Integer, Text, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..models import Organisme
from ..rules import LIKE_ESCAPE
from ..rules.search_text import name_pattern


class _Position(FunctionElement):
    """Where `needle` first starts in `text` (1-based, 0: absent): strpos on PostgreSQL, instr on SQLite."""
    type = Integer()
    inherit_cache = True


@compiles(_Position)
def _strpos(element, compiler, **kw):
    return f"strpos({compiler.process(element.clauses, **kw)})"


@compiles(_Position, "sqlite")
def _instr(element, compiler, **kw):
    return f"instr({compiler.process(element.clauses, **kw)})"


def _from_second_part(key):
    """rules/search_text.py second_part, in SQL: schema.sql's ix_organisme_nom_usuel_key indexes
    this very expression."""
    return func.substr(key, _Position(key, "  ") + 1, type_=Text)


def named_organismes(text):
    """SELECT of the ids of the organismes named `text`, or None: `text` is not looked up as a
    name. One prefix pattern on the key (raison sociale) and on its second part (nom usuel),
    each served by a btree index on PostgreSQL (schema.sql)."""
    pattern = name_pattern(text)
    if pattern is None:
        return None
    key = Organisme.search_key
    return select(Organisme.id).where(or_(key.like(pattern, escape=LIKE_ESCAPE),
                                          _from_second_part(key).like(pattern, escape=LIKE_ESCAPE)))
