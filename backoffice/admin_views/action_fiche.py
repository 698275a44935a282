"""What the action fiche shows besides its form: its blocks, values as text, buttons, neighbours.

- `allowed_buttons`: the workflow's allowed events for this user and this action, filtered by
  the permissions; the fiche shows exactly these and the POST endpoint re-checks them.
- `neighbours`: PRECEDENT / SUIVANT walk the list the user came from (its URL, carried in
  `url=`, holds the named list, dashboard filters, Flask-Admin filters, search and sort), by
  running that list's own scoped query around the record's position `pos`.
- `FIELDSETS` and `display_value`: the fiche's blocks and a field as text (read-only fiche, print).
The documentaliste's review diff lives in review.py.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask_login import current_user
from werkzeug.datastructures import MultiDict

from .. import permissions, rules
from .. import workflow as W
from ..extensions import db
from ..models import TYPES_ACTION as TYPES
from ..services import actions as action_services
from ..services.mail import team_address
from . import readable

# The fiche, block by block (form field names), in the order users know from the original screen.
FIELDSETS = [
    ("Action ou module", ["organisme", "type", "modulaire", "module_autonome", "type_accompagnement", "parcours"]),
    ("Description générale", ["conventionnee", "programme", "intitule", "objectif", "contenu",
                              "resultats_attendus", "publics", "public_vise", "conditions_specifiques",
                              "niveau_entree", "niveau_entree_obligatoire", "prise_en_charge_possible"]),
    ("Domaines", ["formacodes", "nsfs", "romes"]),
    ("Organisation pédagogique", ["modalites_pedagogiques", "modalites_pedagogiques_codes", "langues",
                                  "acces_handicapes", "modalites_recrutement"]),
    ("Validation", ["attestation_suivi", "certifications", "validation_partielle", "blocs", "validation_blocs",
                    "niveau_sortie"]),
    ("Fréquence", ["sessions_par_an", "periodicite", "entrees_sorties"]),
    ("Contact et liens", ["contact", "url_formation", "url_action"]),
]
FORM_COLUMNS = [name for _legend, names in FIELDSETS for name in names]
# Marked * in the label: what SOUMETTRE requires, not saving a draft. Derived from the submission
# guard's list (rules.ACTION_MANDATORY, whose "<relation>_code" columns are "<relation>" fields
# here) plus the public visé the LHEO feed requires (export/lheo.py, gaps); the intitulé is
# required to save at all, and Flask-Admin marks it already.
MANDATORY_FIELDS = {column.removesuffix("_code") for column in rules.ACTION_MANDATORY} - {"intitule"} | {"publics"}
ENTREES_SORTIES = [("0", "Non : dates de session fixes"), ("1", "Oui : entrées / sorties permanentes")]
CODED = {"type": TYPES, "entrees_sorties": dict(ENTREES_SORTIES)}
LHEO_CODED = {"parcours": rules.PARCOURS, "validation_blocs": rules.VALIDATION_BLOCS}


def display_value(model, name) -> str:
    """A field of the fiche as text (read-only fiche, print view)."""
    value = getattr(model, name, None)
    if name in CODED:
        return CODED[name].get(value, value or "")
    if name in LHEO_CODED:
        return readable.coded(value, LHEO_CODED[name])
    if isinstance(value, bool):
        return readable.oui_non(value)
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
    # Only the fact that hides a button (DUPLIQUER of a conventionnée by an OF); the submit
    # guards are reported, with their messages, when the button is pressed.
    facts = W.Facts(conventionnee=bool(action.conventionnee))
    events = []
    for event in W.allowed_events(action_services.state_of(action), actor, facts):
        if event is W.Event.DUPLIQUER:
            if may_copy:
                events.append(event)
        elif (event in BUTTON_EVENTS or event is W.Event.ENREGISTRER) and may_edit:
            events.append(event)
    return events


def read_only_message(action) -> str | None:
    """Why an editor may not save this fiche (flashed on a refused save, shown on the fiche), or None."""
    state = action_services.state_of(action)
    if W.is_locked(state) and action_services.workflow_actor(current_user, action) is W.Actor.OWNER:
        return W.locked_message(team_address())
    if state.fiche is W.EtatFiche.ARCHIVE and permissions.can(current_user, "action", "edit", action):
        return W.ARCHIVED_SAVE_MESSAGE
    return None


def sessions_prompt(action, state: W.State, just_unarchived: bool) -> list[str]:
    """The warnings of "Souhaitez-vous gérer vos sessions ?" ([]: not asked): just after DESARCHIVER,
    and on a désarchivée fiche for as long as no session is still to come (SOUMETTRE refuses it:
    the workflow's session_a_venir guard)."""
    if not (just_unarchived or state.fiche is W.EtatFiche.DESARCHIVE):
        return []
    if not permissions.can(current_user, "action", "edit", action):
        return []
    if action_services.has_future_session(db.session, action):
        return [W.SESSION_MESSAGE] if just_unarchived else []
    return [W.SESSION_MESSAGE, W.PAST_SESSIONS_MESSAGE]


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
