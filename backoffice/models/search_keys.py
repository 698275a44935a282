"""The search keys of actions and organismes (schema.sql: search_key), kept by the models.

A key holds the folded words of the record's searched texts (rules/search_text.py); the search
boxes LIKE it on both backends, through a trigram index on PostgreSQL (services/search_text.py).
An action's key holds its organisme's key too (one indexed LIKE per word finds an action by its
intitulé, its organisme's name or its contents): an organisme's new name is copied into its
actions' keys here. Mapper events recompute a key on every INSERT and on every UPDATE that
changes one of its texts, whatever the code path of the ORM (forms, jobs, the LHEO writer). The
writers that bypass the ORM call `fill_search_keys` (lheo_import/bulk.py, bench/offer_rows.py,
bench/rows.py); the migration that added the column backfilled it (migrations/versions/0003_search_key.py)."""
from sqlalchemy import bindparam, event, inspect, select, update

from ..rules import action_search_key, organisme_search_key, with_organisme_key
from .action import Action
from .organisme import Organisme

ACTION_TEXTS = ("intitule", "objectif", "contenu", "organisme_id")
ORGANISME_TEXTS = ("raison_sociale", "nom_usuel", "siret")
_ORGANISME = Organisme.__table__
_ACTION = Action.__table__


def organisme_key(row) -> str:
    """The key of an organisme given as a dict of its columns."""
    return organisme_search_key(*(row.get(name) for name in ORGANISME_TEXTS))


def action_key(row, organisme_key_: str | None) -> str:
    """The key of an action given as a dict of its columns, its organisme's key known."""
    return action_search_key(row.get("intitule"), organisme_key_, row.get("objectif"), row.get("contenu"))


def fill_search_keys(session, organismes, actions) -> None:
    """The keys of rows about to be inserted without the ORM: `organismes` and `actions` hold
    objects with a `row` dict (lheo_import/bulk.py's Ref); an action's organisme_id is an id or
    such an object, among `organismes` or already in the base."""
    for ref in organismes:
        ref.row["search_key"] = organisme_key(ref.row)
    stored = {ref.row["organisme_id"] for ref in actions if isinstance(ref.row["organisme_id"], int)}
    keys = dict(session.execute(select(_ORGANISME.c.id, _ORGANISME.c.search_key)
                                .where(_ORGANISME.c.id.in_(stored))).all()) if stored else {}
    for ref in actions:
        owner = ref.row["organisme_id"]
        ref.row["search_key"] = action_key(ref.row, owner.row["search_key"] if hasattr(owner, "row") else keys.get(owner))


def _organisme_key_in_base(connection, organisme_id) -> str | None:
    return connection.execute(select(_ORGANISME.c.search_key).where(_ORGANISME.c.id == organisme_id)).scalar()


def _values(target, names) -> dict:
    return {name: getattr(target, name) for name in names}


def _action_inserted(_mapper, connection, target) -> None:
    # the organisme is inserted (or updated) before its actions in the same flush: its key is in the base
    target.search_key = action_key(_values(target, ACTION_TEXTS), _organisme_key_in_base(connection, target.organisme_id))


def _action_updated(_mapper, connection, target) -> None:
    state = inspect(target)
    if any(state.attrs[name].history.has_changes() for name in ACTION_TEXTS):
        _action_inserted(_mapper, connection, target)


def _organisme_inserted(_mapper, _connection, target) -> None:
    target.search_key = organisme_key(_values(target, ORGANISME_TEXTS))


def _organisme_updated(_mapper, _connection, target) -> None:
    state = inspect(target)
    if any(state.attrs[name].history.has_changes() for name in ORGANISME_TEXTS):
        target.search_key = organisme_key(_values(target, ORGANISME_TEXTS))


def _organisme_renamed(_mapper, connection, target) -> None:
    """After an UPDATE of an organisme whose key changed: its actions' keys take the new one."""
    history = inspect(target).attrs.search_key.history
    if not history.added or history.deleted == history.added:
        return
    rows = connection.execute(select(_ACTION.c.id, _ACTION.c.search_key)
                              .where(_ACTION.c.organisme_id == target.id)).all()
    if rows:
        connection.execute(update(_ACTION).where(_ACTION.c.id == bindparam("row_id"))
                           .values(search_key=bindparam("new_key")),
                           [{"row_id": row_id, "new_key": with_organisme_key(key, target.search_key)}
                            for row_id, key in rows])


event.listen(Action, "before_insert", _action_inserted)
event.listen(Action, "before_update", _action_updated)
event.listen(Organisme, "before_insert", _organisme_inserted)
event.listen(Organisme, "before_update", _organisme_updated)
event.listen(Organisme, "after_update", _organisme_renamed)
