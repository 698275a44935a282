"""The organisme's name copied on its actions (action.organisme_tri), for the actions list's sort
by organisme: an index on action alone, instead of a join to organisme and a sort of the whole
base at every page (bench/bench_search.py).

One home: a before_flush listener (installed by listeners.install) sets it on every action the
ORM creates or moves, and rewrites it, set-based, on the actions of every organisme whose name
the ORM changes; writers that insert actions without the ORM (the LHEO bulk import) call
`fill_action_sort_keys` with the ids they inserted. The key is what the list shows: the nom
usuel, else the raison sociale (Organisme.nom).
"""
from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .action import Action
from .organisme import Organisme

NAME_COLUMNS = ("raison_sociale", "nom_usuel")


def organisme_sort_key(organisme) -> str | None:
    return None if organisme is None else (organisme.nom_usuel or organisme.raison_sociale)


def sort_key_sql():
    """The same key computed by the database, for one action's organisme (PostgreSQL and SQLite)."""
    return (select(func.coalesce(func.nullif(Organisme.nom_usuel, ""), Organisme.raison_sociale))
            .where(Organisme.id == Action.organisme_id).scalar_subquery())


def fill_action_sort_keys(session, action_ids) -> None:
    """Set the key of actions written without the ORM."""
    ids = list(action_ids)
    for start in range(0, len(ids), 5000):
        session.execute(update(Action.__table__).where(Action.__table__.c.id.in_(ids[start:start + 5000]))
                        .values(organisme_tri=sort_key_sql()))


def _changed(obj, *names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def keep_sort_keys(session: Session, _flush_context, _instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Action):
            if obj in session.new or _changed(obj, "organisme_id", "organisme"):
                organisme = obj.organisme if obj.organisme is not None or obj.organisme_id is None \
                    else session.get(Organisme, obj.organisme_id)
                key = organisme_sort_key(organisme)
                if key is not None and obj.organisme_tri != key:
                    obj.organisme_tri = key
        elif isinstance(obj, Organisme) and obj not in session.new and _changed(obj, *NAME_COLUMNS):
            # set-based, without touching Modifié le or writing history: a copy, not a change of the action
            table = Action.__table__
            session.connection().execute(update(table).where(table.c.organisme_id == obj.id)
                                         .values(organisme_tri=organisme_sort_key(obj)))
            for action in list(session.identity_map.values()):  # the loaded ones say the same
                if isinstance(action, Action) and "organisme_tri" not in inspect(action).unloaded \
                        and action.organisme_id == obj.id:
                    set_committed_value(action, "organisme_tri", organisme_sort_key(obj))
