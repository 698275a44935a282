"""Who may use a screen, and which records it reaches: the part of SecureModelView that closes
Flask-Admin's open doors.

- permissions are properties computed from `current_user` (views are shared by all requests),
  asked of backoffice.permissions, deny by default; a refused verb is a 403;
- `get_one` ignores `get_query` upstream: here it applies the scope and answers 404 for a
  record outside it (edit, details, delete, ajax_update);
- ajax pickers search and look up inside the scope too, which makes a forged id fail;
- bulk actions receive ids from the client: every id must be in scope;
- `?url=` redirects go to local paths only.
"""
from flask import abort, g, has_request_context, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_login import current_user
from sqlalchemy import String, and_, cast, or_, text

from .. import permissions
from ..column_limits import typed_key
from ..extensions import db
from ..models import Action, Adresse, Contact, Organisme, Session
from ..rules import search_problem, searched_numero
from ..security import is_local_path
from ..services.search_text import contains, numero_condition, text_condition

SCOPED_MODELS = (Organisme, Action, Session, Adresse, Contact)
# Flask-Admin route -> the can_* property that must be true to use it
VERB_FLAGS = {"create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete",
              "export": "can_export", "ajax_update": "can_edit"}


def scoped_query(model, *entities):
    """A legacy Query over `model` (or `entities` from it) restricted to the user's scope."""
    query = db.session.query(*entities).select_from(model) if entities else db.session.query(model)
    if model in SCOPED_MODELS:
        query = query.filter(permissions.scope_condition(current_user, model))
    return query


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """An ajax picker whose search and lookup both stay inside the user's scope."""

    def get_query(self):
        return scoped_query(self.model)

    def get_list(self, term, offset=0, limit=20):
        """What the user types is searched as typed (Flask-Admin's loader reads % and _ as LIKE
        wildcards): an OF_/AF_/SE_ number finds its record; else the text is contained in one of
        the picker's fields, or (organismes) every word starts a word of its names, accents and
        case ignored (services/search_text.py). A text too long to be a search finds nothing."""
        term = term or ""
        if search_problem(term):
            return []
        numero = searched_numero(term)
        condition = numero_condition(self.model, *numero) if numero else None
        if condition is None:
            conditions = [contains(cast(field, String), term) for field in self._cached_fields]
            keyed = text_condition(self.model, term) if self.model is Organisme else None
            condition = or_(*conditions, *([keyed] if keyed is not None else []))
        query = self.get_query().filter(condition)
        if self.filters:  # the upstream loader's options, kept (none of ours sets them today)
            query = query.filter(and_(*(text(f"{self.model.__tablename__.lower()}.{value}") for value in self.filters)))
        if self.order_by:
            query = query.order_by(self.order_by)
        return query.offset(offset).limit(limit).all()

    def get_one(self, pk):
        column = self.model_pk_column()
        # posted as text: PostgreSQL refuses integer = varchar (see ScopeMixin.get_one)
        pk = typed_key(column, pk)
        if pk is None:
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(column == pk).first()

    def model_pk_column(self):
        return getattr(self.model, self.pk)


class ScopeMixin:
    """Deny by default; scope every read and write to the user's records."""

    resource: str = ""  # key of permissions.MATRIX; empty = nobody

    def _run_view(self, fn, *args, **kwargs):
        # Flask-Admin retries any TypeError as fn(cls=self), which hides the real error.
        return fn(self, *args, **kwargs)

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        flag = VERB_FLAGS.get(name)
        if flag and not getattr(self, flag):
            # deny by default: a refused verb is a 403, not Flask-Admin's silent redirect (and
            # its ajax_update only checks column_editable_list, never can_edit)
            abort(403)
        # Flask-Admin redirects to ?url= when its is_safe_url accepts it, which trusts the
        # Host header and absolute URLs (CVE-2018-16516 class): only a local path may pass.
        target = request.values.get("url")
        if target and not is_local_path(target):
            return redirect(self.get_url(".index_view"))
        return None

    # --------------------------------------------------------- permissions
    def _allowed(self, verb: str) -> bool:
        # can_edit / can_delete... are read for every row of a list (row actions) and every menu
        # entry: ask permissions once per request, user and verb (views are shared; g is not).
        if not has_request_context():
            return permissions.allowed(current_user, self.resource, verb)
        user = current_user._get_current_object()
        key = (id(user), self.resource, verb)
        cache = g.setdefault("_allowed_cache", {})
        if key not in cache:
            cache[key] = permissions.allowed(user, self.resource, verb)
        return cache[key]

    def is_accessible(self) -> bool:
        return self._allowed("view")

    def is_visible(self) -> bool:
        return self._allowed("view")

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    @property
    def can_create(self):
        return self._allowed("create")

    @property
    def can_edit(self):
        return self._allowed("edit")

    @property
    def can_delete(self):
        return self._allowed("delete")

    @property
    def can_export(self):
        return self._allowed("export")

    def history_url(self, model) -> str | None:
        """Link to the fiche's history, for those who may read it."""
        if model is None or not self._allowed("history"):
            return None
        return url_for("historique.record", view=self.endpoint, id=self.get_pk_value(model))

    # --------------------------------------------------------- records in scope
    def get_query(self):
        return scoped_query(self.model)

    def get_count_query(self):
        return scoped_query(self.model, db.func.count())

    def get_one(self, id):
        """The record if it is in the user's scope, else 404 (never another's data)."""
        pk = self._pk_column()
        if isinstance(id, str):
            # ids come from the URL as text; SQLAlchemy 2.1 would bind them as VARCHAR,
            # which PostgreSQL refuses to compare with an integer key (and one out of the
            # column's range fails the statement)
            id = typed_key(pk, id)
            if id is None:
                abort(404)
        # fiche_loader_options: list_query.ListQueryMixin (the relations the fiche reads)
        obj = self.get_query().filter(pk == id).options(*self.fiche_loader_options()).first()
        if obj is None:
            abort(404)
        return obj

    def _pk_column(self):
        return getattr(self.model, self._primary_key)

    def _create_ajax_loader(self, name, options):
        return ScopedAjaxLoader(name, db.session, self._ajax_model_for(name), **options)

    def _ajax_model_for(self, name):
        return getattr(self.model, name).property.mapper.class_

    # --------------------------------------------------------- bulk actions
    def handle_action(self, return_view=None):
        """Bulk actions: refuse outright if any id is outside the user's scope."""
        ids = self.typed_ids(request.form.getlist("rowid"))
        if ids:
            found = self.get_query().filter(self._pk_column().in_(ids)).count()
            if found != len(set(ids)):
                abort(404)
        return super().handle_action(return_view)

    def typed_ids(self, ids):
        """Posted ids (text) as the primary key's type, 404 if malformed: PostgreSQL refuses
        `integer IN (varchar)`, which SQLAlchemy 2.1 + psycopg 3 send for text ids. Bulk actions use it."""
        typed = [typed_key(self._pk_column(), i) for i in ids]
        if None in typed:
            abort(404)
        return typed

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        return super().action_delete(self.typed_ids(ids))
