"""Session events: identifiers, Créé le / Modifié le / Dernier utilisateur, history.

They run on every flush of every session (web, jobs, CLI, imports), so no
code path can create a record without its number or change one without a
history row. Set-based SQL jobs bypass the ORM and write their history rows
themselves (see jobs/).
"""
from datetime import UTC, datetime

from sqlalchemy import event, insert, inspect, text
from sqlalchemy.orm import Session

from ..actor import current_actor
from ..rules import format_numero
from .base import Numbered, Tracked
from .diffusion import Suppression
from .history import History

BOOKKEEPING = frozenset({"created_at", "updated_at", "last_actor", "version_id"})


def utcnow() -> datetime:
    """Naive UTC: what every TIMESTAMP column of schema.sql holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def next_numero(session: Session, prefix: str) -> str:
    """Take the next number of a counter. The UPDATE's row lock serialises
    concurrent creators on PostgreSQL; SQLite serialises writers anyway."""
    value = session.execute(
        text("UPDATE identifier_counter SET last_value = last_value + 1 "
             "WHERE prefix = :prefix RETURNING last_value"),
        {"prefix": prefix},
    ).scalar_one()
    return format_numero(prefix, value)


def _stamp(session: Session, _flush_context, _instances) -> None:
    actor = current_actor()
    now = utcnow()
    for obj in session.new:
        if isinstance(obj, Numbered) and not obj.numero:
            obj.numero = next_numero(session, obj.numero_prefix)
        if isinstance(obj, Tracked):
            obj.created_at = obj.created_at or now
            obj.updated_at = now
            obj.last_actor = actor.label
    for obj in session.dirty:
        if isinstance(obj, Tracked) and session.is_modified(obj, include_collections=True):
            obj.updated_at = now
            obj.last_actor = actor.label


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (list, tuple)):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def _key(obj) -> str:
    # a row inserted by this flush has its primary key on its attributes but no identity yet
    # (that comes after the flush): read the attributes, or its Création row would be keyless
    state = inspect(obj)
    values = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in values if v is not None)


def _changes(obj):
    """(field, old, new) for each changed column and many-to-many collection."""
    state = inspect(obj)
    mapper = state.mapper
    excluded = BOOKKEEPING | getattr(obj, "__history_exclude__", frozenset())
    for attr in mapper.column_attrs:
        if attr.key in excluded:
            continue
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = _text(hist.deleted[0]) if hist.deleted else None
        new = _text(hist.added[0]) if hist.added else None
        if old != new:
            yield attr.key, old, new
    for rel in mapper.relationships:
        if rel.secondary is None or rel.key in excluded:
            continue
        hist = state.attrs[rel.key].history
        if hist.added or hist.deleted:
            yield rel.key, _text(list(hist.unchanged) + list(hist.deleted)), _text(list(hist.unchanged) + list(hist.added))


def _record_history(session: Session, _flush_context) -> None:
    actor = current_actor()
    now = utcnow()
    rows = []

    def row(obj, op, field=None, old=None, new=None, message=None):
        rows.append({
            "entity": obj.__tablename__, "entity_key": _key(obj), "numero": getattr(obj, "numero", None) or str(obj)[:60],
            "op": op, "field": field, "old_value": old, "new_value": new, "message": message,
            "user_id": actor.user_id, "actor_label": actor.label, "at": now,
        })

    for obj in session.new:
        if getattr(obj, "__history__", False):
            row(obj, "insert", message="Création")
    for obj in session.dirty:
        if getattr(obj, "__history__", False):
            for field, old, new in _changes(obj):
                row(obj, "update", field, old, new)
    for obj in session.deleted:
        if getattr(obj, "__history__", False):
            row(obj, "delete", message="Suppression")
    if rows:
        session.connection().execute(insert(History), rows)
    _record_suppressions(session, now)


def _suppression(obj) -> dict | None:
    """What partners may hold of a deleted record (backoffice/export/changes.py reads it)."""
    name = getattr(obj, "__tablename__", None)
    if name == "action":
        if obj.version_publiee is None:  # never published: no partner holds it
            return None
        return {"numero": obj.numero, "action_id": obj.id, "organisme_id": obj.organisme_id}
    if name == "session":
        return {"numero": obj.numero, "action_id": obj.action_id, "organisme_id": None}
    if name in ("contact", "adresse"):
        return {"numero": None, "action_id": None, "organisme_id": obj.organisme_id}
    return None


def _record_suppressions(session: Session, now) -> None:
    rows = []
    for obj in session.deleted:
        values = _suppression(obj)
        if values is not None:
            rows.append({"entity": obj.__tablename__, "entity_key": _key(obj), "at": now, **values})
    if rows:
        session.connection().execute(insert(Suppression), rows)


def install() -> None:
    """Attach the listeners to every ORM session (idempotent)."""
    from .sort_keys import keep_sort_keys  # (imports the models, which import this module)

    if not event.contains(Session, "before_flush", keep_sort_keys):
        event.listen(Session, "before_flush", keep_sort_keys)
    if not event.contains(Session, "before_flush", _stamp):
        event.listen(Session, "before_flush", _stamp)
        event.listen(Session, "after_flush", _record_history)
