"""What the action fiche shows besides its form: buttons, neighbours in the list, review diff.

- `allowed_buttons`: the workflow's allowed events for this user and this action, filtered by
  the permissions; the fiche shows exactly these and the POST endpoint re-checks them.
- `neighbours`: PRECEDENT / SUIVANT walk the list the user came from (its URL, carried in
  `url=`, holds the named list, dashboard filters, Flask-Admin filters, search and sort), by
  running that list's own scoped query around the record's position `pos`.
- `review_rows`: the documentaliste's view of `publication.diff(published, snapshot)`, with
  labels and values a person reads (codes and ids resolved).
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask_login import current_user
from sqlalchemy import inspect
from werkzeug.datastructures import MultiDict

from .. import permissions, workflow as W
from ..extensions import db
from ..models import TYPES_ACTION as TYPES
from ..models import Action, Certification, Formacode, Nsf, Session
from ..services import actions as action_services
from ..services import publication
from .labels import ACTION_LABELS, SESSION_LABELS

# The FAQ's fiche, block by block (form field names).
FIELDSETS = [
    ("Action ou module", ["organisme", "type", "modulaire", "module_autonome", "type_accompagnement"]),
    ("Description générale", ["conventionnee", "programme", "intitule", "objectif", "contenu",
                              "resultats_attendus", "public_vise", "conditions_specifiques", "niveau_entree"]),
    ("Domaines", ["formacodes", "nsfs"]),
    ("Validation", ["attestation_suivi", "certifications", "validation_partielle", "niveau_sortie"]),
    ("Fréquence", ["sessions_par_an", "periodicite", "entrees_sorties"]),
    ("Contact", ["contact"]),
]
FORM_COLUMNS = [name for _legend, names in FIELDSETS for name in names]
# Mandatory to SOUMETTRE (rules.ACTION_MANDATORY), not to save a draft: marked * in the label.
MANDATORY_FIELDS = {"type", "modulaire", "module_autonome", "conventionnee", "objectif", "contenu",
                    "resultats_attendus", "niveau_sortie"}
ENTREES_SORTIES = [("0", "Non : dates de session fixes"), ("1", "Oui : entrées / sorties permanentes")]


def display_value(model, name) -> str:
    """A field of the fiche as text (read-only fiche, print view)."""
    value = getattr(model, name, None)
    if name == "type":
        return TYPES.get(value, value or "")
    if name == "entrees_sorties":
        return dict(ENTREES_SORTIES).get(value, value or "")
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


BUTTON_EVENTS = (W.Event.SOUMETTRE, W.Event.VISER, W.Event.DEMANDER_COMPLETUDE, W.Event.DUPLIQUER,
                 W.Event.ARCHIVER, W.Event.DESARCHIVER, W.Event.REACTIVER)


def allowed_buttons(action) -> list[W.Event]:
    """Buttons of the fiche this user may press now (ENREGISTRER included), in table order."""
    actor = action_services.workflow_actor(current_user, action)
    may_edit = permissions.can(current_user, "action", "edit", action)
    may_copy = (permissions.can(current_user, "action", "create", action)
                and permissions.can(current_user, "action", "view", action))
    events = []
    for event in W.allowed_events(action_services.state_of(action), actor):
        if event is W.Event.DUPLIQUER:
            if may_copy and not (actor is W.Actor.OWNER and action.conventionnee):
                events.append(event)
        elif (event in BUTTON_EVENTS or event is W.Event.ENREGISTRER) and may_edit:
            events.append(event)
    return events


# ---------------------------------------------------------------- PRECEDENT / SUIVANT

def _with_args(url: str, **changes) -> str:
    parts = urlsplit(url)
    args = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in changes]
    args += [(k, str(v)) for k, v in changes.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(args)))


def _list_ids(view, args: MultiDict, start: int, count: int) -> list[int]:
    """Ids of rows [start, start+count) of the list described by `args`, with its scope."""
    view_args = view.view_args_from(args)
    sort = view._get_column_by_idx(view_args.sort)
    _count, query = view.get_list(None, sort[0] if sort else None, view_args.sort_desc, view_args.search,
                                  view_args.filters, execute=False, page_size=0, list_args=args)
    return [row.id for row in query.offset(max(start, 0)).limit(count)]


def neighbours(view, action, list_url: str | None, pos: int | None) -> dict:
    """{'prev': (id, pos) | None, 'next': (id, pos) | None, 'pos': the record's position}.

    With `pos`, reads three rows around it; a record that left the list since (visé from the
    control queue) is replaced by the row now at its place. Without `pos`, the record is looked
    for on the page of the list URL.
    """
    empty = {"prev": None, "next": None, "pos": pos}
    if not list_url:
        return empty
    args = MultiDict(parse_qsl(urlsplit(list_url).query, keep_blank_values=True))
    if pos is None:
        size = view.get_safe_page_size(args.get("page_size", 0, type=int))
        start = args.get("page", 0, type=int) * size
        ids = _list_ids(view, args, start, size)
        if action.id not in ids:
            return empty
        pos = start + ids.index(action.id)
    start = max(pos - 1, 0)
    ids = _list_ids(view, args, start, 3)
    if action.id in ids:
        here = ids.index(action.id)
        prev_index, next_index = here - 1, here + 1
        pos = start + here
    else:  # left the list: the record now at `pos` comes next
        prev_index, next_index = pos - 1 - start, pos - start
    result = {"prev": None, "next": None, "pos": pos}
    if 0 <= prev_index < len(ids):
        result["prev"] = (ids[prev_index], start + prev_index)
    if 0 <= next_index < len(ids):
        result["next"] = (ids[next_index], start + next_index)
    return result


def list_url_at(view, list_url: str, pos: int) -> str:
    """The list URL on the page that holds position `pos` (RETOUR A LA LISTE lands there)."""
    args = MultiDict(parse_qsl(urlsplit(list_url).query, keep_blank_values=True))
    size = view.get_safe_page_size(args.get("page_size", 0, type=int))
    return _with_args(list_url, page=(pos // size if size else 0) or None)


# ---------------------------------------------------------------- review diff

def _foreign_keys(model) -> dict[str, tuple[str, type]]:
    """column key -> (relationship key, target model) for many-to-one relationships."""
    keys = {}
    for rel in inspect(model).relationships:
        if rel.direction.name == "MANYTOONE":
            for column in rel.local_columns:
                keys[column.key] = (rel.key, rel.mapper.class_)
    return keys


def _labels(model, labels: dict) -> dict:
    result = dict(labels)
    for column, (relation, _target) in _foreign_keys(model).items():
        result.setdefault(column, labels.get(relation, column))
    return result


COLLECTIONS = {"certifications": Certification, "formacodes": Formacode, "nsfs": Nsf}


def _readable(model, key: str, value):
    """A snapshot value as a person reads it: referenced rows by their name, Oui/Non."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if key in COLLECTIONS and isinstance(value, list):
        return ", ".join(str(db.session.get(COLLECTIONS[key], v) or v) for v in value)
    target = _foreign_keys(model).get(key)
    if target is not None:
        return str(db.session.get(target[1], value) or value)
    if key in ("date_debut", "date_fin") and isinstance(value, str) and len(value) == 10:
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}"
    return str(value)


def review_rows(action) -> list[tuple[str, str, str, str]]:
    """What changed since the last visa, field by field and session by session (readable)."""
    old = publication.published(action)
    if old is None:
        return []
    labels = {Action: _labels(Action, ACTION_LABELS), Session: _labels(Session, SESSION_LABELS)}
    readable = []
    for section, key, before, after in publication.diff(old, publication.snapshot(action)):
        model = Action if section == publication.ACTION_SECTION else Session
        readable.append((section, labels[model].get(key, key), _readable(model, key, before),
                         _readable(model, key, after)))
    return readable
