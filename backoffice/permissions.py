"""Who may do what: the role matrix of the five roles, and per-record scope.

One place answers "may this user do this to this record?" (can) and "which
rows may this user see?" (scope). Deny by default: a (resource, verb) pair
absent from MATRIX is refused to everyone. No Flask import; the admin views,
the API and the services all ask here.
"""
from sqlalchemy import Select, exists, false, select, true

from .models import Action, Adresse, Contact, Organisme, Programme, Session, User

ORGANISME = "organisme"
DOCUMENTALISTE = "documentaliste"
FINANCEUR = "financeur"
SUPPORT = "support"
ADMIN = "admin"
ROLES = (ORGANISME, DOCUMENTALISTE, FINANCEUR, SUPPORT, ADMIN)

_OFFER_EDITORS = frozenset({ORGANISME, DOCUMENTALISTE})

# resource -> verb -> roles. Verbs: view, create, edit, delete, export, history.
MATRIX: dict[str, dict[str, frozenset[str]]] = {
    "organisme": {
        "view": frozenset({ORGANISME, DOCUMENTALISTE, SUPPORT}),
        "create": frozenset({DOCUMENTALISTE}),
        "edit": _OFFER_EDITORS,
        "delete": frozenset({DOCUMENTALISTE}),
        "export": frozenset({ORGANISME, DOCUMENTALISTE}),
        "history": frozenset({ORGANISME, DOCUMENTALISTE}),
        "validate": frozenset({DOCUMENTALISTE}),
        "justificatif": frozenset({DOCUMENTALISTE}),
    },
    "adresse": {
        "view": _OFFER_EDITORS, "create": _OFFER_EDITORS, "edit": _OFFER_EDITORS,
        "delete": _OFFER_EDITORS, "export": _OFFER_EDITORS, "history": _OFFER_EDITORS,
    },
    "contact": {
        "view": _OFFER_EDITORS, "create": _OFFER_EDITORS, "edit": _OFFER_EDITORS,
        "delete": _OFFER_EDITORS, "export": _OFFER_EDITORS, "history": _OFFER_EDITORS,
    },
    "action": {
        # administrators see the offer to delete an action for good (never to change it)
        "view": frozenset({ORGANISME, DOCUMENTALISTE, FINANCEUR, ADMIN}),
        "create": _OFFER_EDITORS,
        "edit": _OFFER_EDITORS,
        # permanent, and partners lose the offer: not a workflow step (ARCHIVER is); administrators only
        "delete": frozenset({ADMIN}),
        "export": frozenset({ORGANISME, DOCUMENTALISTE, FINANCEUR}),
        "history": _OFFER_EDITORS,
        # the CARIF's own powers: conventionnée / programme, the certification of a diffused
        # action, the review diff, bulk transitions of the list
        "control": frozenset({DOCUMENTALISTE}),
    },
    "session": {
        "view": frozenset({ORGANISME, DOCUMENTALISTE, FINANCEUR}),
        "create": _OFFER_EDITORS,
        "edit": _OFFER_EDITORS,
        "delete": frozenset({DOCUMENTALISTE}),
        "export": frozenset({ORGANISME, DOCUMENTALISTE, FINANCEUR}),
        "history": _OFFER_EDITORS,
    },
    # referentials: read by those who pick from them, edited by admins
    "referential": {
        "view": frozenset({DOCUMENTALISTE, ADMIN}),
        "create": frozenset({ADMIN}),
        "edit": frozenset({ADMIN}),
        "delete": frozenset({ADMIN}),
        "export": frozenset({DOCUMENTALISTE, ADMIN}),
        "history": frozenset({ADMIN}),
    },
    # GÉRER SES PROGRAMMES (admin_views/programmes.py): programmes, dispositifs and the field-lock
    # policy of the conventionnées actions, the CARIF's team's to manage
    "programme": {
        "view": frozenset({DOCUMENTALISTE, ADMIN}),
        "create": frozenset({DOCUMENTALISTE, ADMIN}),
        "edit": frozenset({DOCUMENTALISTE, ADMIN}),
        "delete": frozenset({DOCUMENTALISTE, ADMIN}),
        "export": frozenset({DOCUMENTALISTE, ADMIN}),
        "history": frozenset({DOCUMENTALISTE, ADMIN}),
    },
    "user": {
        "view": frozenset({SUPPORT, ADMIN}),
        "create": frozenset({ADMIN}),
        "edit": frozenset({ADMIN}),
        "delete": frozenset({ADMIN}),
        "export": frozenset({ADMIN}),
        "history": frozenset({SUPPORT, ADMIN}),
        "support": frozenset({SUPPORT, ADMIN}),
    },
    "history": {"view": frozenset({DOCUMENTALISTE, ADMIN})},
    "job": {"view": frozenset({ADMIN}), "edit": frozenset({ADMIN})},
    "dashboard": {"view": frozenset({ORGANISME, DOCUMENTALISTE, FINANCEUR})},
    # the whole LHEO feed (partners use an API key; see backoffice/export/views.py)
    "lheo": {"export": frozenset({DOCUMENTALISTE})},
    # the upload of LHEO files and their reports (admin_views/lheo_imports.py): the CARIF's team only
    "lheo_import": {"view": frozenset({DOCUMENTALISTE}), "create": frozenset({DOCUMENTALISTE})},
}


def role_of(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "role_code", None)


def organisme_ids(user) -> frozenset[int]:
    """The organismes an organisme user is attached to."""
    return frozenset(o.id for o in getattr(user, "organismes", ()) or ())


def allowed(user, resource: str, verb: str) -> bool:
    """May this role do this verb on this kind of record at all?"""
    role = role_of(user)
    return role is not None and role in MATRIX.get(resource, {}).get(verb, frozenset())


def owner_organisme_id(obj) -> int | None:
    """The organisme a record belongs to, for the scope check."""
    if isinstance(obj, Organisme):
        return obj.id
    if isinstance(obj, (Action, Adresse, Contact)):
        return obj.organisme_id
    if isinstance(obj, Session):
        return obj.action.organisme_id if obj.action is not None else None
    return None


def in_scope(user, obj) -> bool:
    """Is this record inside the user's scope (ignoring the verb)?"""
    role = role_of(user)
    if role in (DOCUMENTALISTE, ADMIN, SUPPORT):
        return True
    if role == ORGANISME:
        owner = owner_organisme_id(obj)
        return owner is not None and owner in organisme_ids(user)
    if role == FINANCEUR:
        action = obj.action if isinstance(obj, Session) else obj
        return (isinstance(action, Action) and action.conventionnee and action.programme is not None
                and action.programme.financeur_code == user.financeur_code)
    return False


def can(user, resource: str, verb: str, obj=None) -> bool:
    """The one question: may this user do this verb on this resource (or record)?"""
    if not allowed(user, resource, verb):
        return False
    return obj is None or in_scope(user, obj)


def _user_owns(user, organisme_column):
    # The ids as literals, not a sub-select on user_organisme: PostgreSQL then plans with each
    # organisme's real size (its statistics): an index walk in list order for an organisme with
    # 35,000 actions, a look-up and a small sort for one with three, where a sub-select gets one
    # generic guess and sorts all 35,000 rows on every page (135 ms; see bench/RESULTS.md).
    # user.organismes is loaded once per request (identity map), with the user's current links.
    return organisme_column.in_(sorted(organisme_ids(user)))


def scope_condition(user, model):
    """A WHERE clause restricting `model` rows to the user's scope (false if none)."""
    role = role_of(user)
    if role in (DOCUMENTALISTE, ADMIN, SUPPORT):
        return true()
    if role == ORGANISME:
        if model is Organisme:
            return _user_owns(user, Organisme.id)
        if model in (Action, Adresse, Contact):
            return _user_owns(user, model.organisme_id)
        if model is Session:
            return exists().where(Action.id == Session.action_id, _user_owns(user, Action.organisme_id))
        return false()
    if role == FINANCEUR:
        own_programmes = select(Programme.id).where(Programme.financeur_code == user.financeur_code)
        if model is Action:
            return Action.conventionnee.is_(True) & Action.programme_id.in_(own_programmes)
        if model is Session:
            return exists().where(Action.id == Session.action_id, Action.conventionnee.is_(True),
                                  Action.programme_id.in_(own_programmes))
        return false()
    return false()


def scope(query: Select, user, model) -> Select:
    """Apply the user's scope to a SELECT over `model`."""
    return query.where(scope_condition(user, model))


__all__ = ["ROLES", "MATRIX", "allowed", "can", "in_scope", "scope", "scope_condition", "organisme_ids", "User"]
