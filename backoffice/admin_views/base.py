"""The secure, scoped ModelView every screen derives from.

Flask-Admin leaves several doors open that this class closes once for all
screens:
- `get_one` ignores `get_query` (upstream #1739): here it applies the scope
  and answers 404 for a record outside it (edit, details, delete, ajax_update);
- relationship pickers (<select> and ajax) list every row: here their queries
  are scoped too, which also makes a forged id fail validation;
- bulk actions receive ids from the client: every id must be in scope;
- permissions are properties computed from `current_user` (views are shared
  by all requests), asked of backoffice.permissions, deny by default.
CSRF is checked by Flask-WTF's CSRFProtect on every POST of the app.
"""
import operator

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.babel import Translations, gettext, lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.form import BaseForm
from flask_admin.form.widgets import Select2Widget
from flask_admin.model.fields import AjaxSelectField
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy import Text, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import RelationshipProperty, defaultload, defer, joinedload, load_only, selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.validators import ValidationError

from .. import permissions
from ..export.grid import GridExportMixin
from ..extensions import db
from ..models import Action, Adresse, Contact, Organisme, Session
from ..security import is_local_path, neutralise_formula
from . import list_rows
from .list_records import RecordShape, columns_by_relation

SCOPED_MODELS = (Organisme, Action, Session, Adresse, Contact)
# Flask-Admin route -> the can_* property that must be true to use it
VERB_FLAGS = {"create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete",
              "export": "can_export", "ajax_update": "can_edit"}

STALE_MESSAGE = ("Cette fiche a été modifiée par un autre utilisateur depuis que vous l'avez ouverte. "
                 "Vos modifications n'ont pas été enregistrées : elles sont conservées ci-dessous. "
                 "Rechargez la fiche pour voir la version actuelle, puis reportez vos modifications.")


INTEGRITY_MESSAGE = ("L'enregistrement a été refusé par la base : une valeur est déjà utilisée par une autre fiche, "
                     "ou une valeur référencée n'existe pas. Vérifiez les champs et réessayez.")


def scoped_query(model, *entities):
    """A legacy Query over `model` (or `entities` from it) restricted to the user's scope."""
    query = db.session.query(*entities).select_from(model) if entities else db.session.query(model)
    if model in SCOPED_MODELS:
        query = query.filter(permissions.scope_condition(current_user, model))
    return query


class FrenchTranslations(Translations):
    """Form messages in French: WTForms' catalogue, then Flask-Admin's (whose own fields raise
    "Not a valid choice", which Flask-Admin looks up in the WTForms catalogue only)."""

    def gettext(self, string):
        text = super().gettext(string)
        return text if text != string else gettext(string)

    def ngettext(self, singular, plural, n):
        text = super().ngettext(singular, plural, n)
        return text if text not in (singular, plural) else gettext(singular if n == 1 else plural)


class FrenchForm(BaseForm):
    """Every admin form: French validation messages."""

    class Meta:
        _translations = FrenchTranslations()

        def get_translations(self, form):
            return self._translations


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """An ajax picker whose search and lookup both stay inside the user's scope."""

    def get_query(self):
        return scoped_query(self.model)

    def get_one(self, pk):
        column = self.model_pk_column()
        try:  # posted as text: PostgreSQL refuses integer = varchar (see SecureModelView.get_one)
            pk = column.type.python_type(pk) if isinstance(pk, str) else pk
        except (ValueError, NotImplementedError):
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(column == pk).first()

    def model_pk_column(self):
        return getattr(self.model, self.pk)


def field_error(form, name: str, message: str):
    """Attach a French message to a form field and abort the save."""
    field = getattr(form, name, None)
    if field is not None:
        field.errors = list(field.errors) + [message]
    raise ValidationError(message)


LOADERS = {"joinedload": joinedload, "selectinload": selectinload}


def _request_rows(model) -> list:
    """Every row of a referential table, read once per request (Flask-Admin's default choices)."""
    rows = g.setdefault("_referential_rows", {})
    if model not in rows:
        rows[model] = db.session.query(model).all()
    return rows[model]


class FastSelect2Widget(Select2Widget):
    """Flask-Admin's Select2Widget, its <option>s written directly: WTForms builds each one's
    attributes through html_params (a sort and a Markup.format per attribute), ~10 µs an option,
    and a fiche lists ~50 (issue 7). Same HTML: html_params puts `selected` before `value`."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>')


FAST_SELECT2 = FastSelect2Widget()


class AtLeast(int):
    """A bounded list count: the list has at least this many rows ("plus de 1 000" in the header)."""

    def __str__(self):
        return f"plus de {int(self):,}".replace(",", " ")

    def __html__(self):
        return str(self)


class SecureModelView(GridExportMixin, ModelView):
    """Deny by default; scope every read and write to the user's records."""

    resource: str = ""  # key of permissions.MATRIX; empty = nobody
    form_base_class = FrenchForm
    optimistic_locking = False  # models with a version_id column

    page_size = 20
    can_set_page_size = True
    can_view_details = True
    details_modal = False
    edit_modal = False
    create_modal = False
    export_types = ["csv", "xlsx"]
    list_template = "admin/backoffice_list.html"
    edit_template = "admin/backoffice_edit.html"
    create_template = "admin/backoffice_create.html"
    details_template = "admin/backoffice_details.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.list_template == SecureModelView.list_template and (
                self.column_editable_list or self.create_modal or self.edit_modal or self.details_modal):
            # backoffice_list.html writes out list.html without its editable cells and modal window
            self.list_template = "admin/model/list.html"

    def _run_view(self, fn, *args, **kwargs):
        # Flask-Admin retries any TypeError as fn(cls=self), which hides the real error.
        return fn(self, *args, **kwargs)

    def _handle_view(self, name, **kwargs):
        # Flask-Admin redirects to ?url= when its is_safe_url accepts it, which trusts the
        # Host header and absolute URLs (CVE-2018-16516 class): only a local path may pass.
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        flag = VERB_FLAGS.get(name)
        if flag and not getattr(self, flag):
            # deny by default: a refused verb is a 403, not Flask-Admin's silent redirect (and
            # its ajax_update only checks column_editable_list, never can_edit)
            abort(403)
        target = request.values.get("url")
        if target and not is_local_path(target):
            return redirect(self.get_url(".index_view"))
        return None

    def _get_filter_groups(self):
        # The filters' names and options as plain text for the page's script: their options are
        # read once, when the view is built (or its filters refreshed: a new _filter_groups), so
        # only the translation of their lazy labels depends on the request, i.e. on the locale.
        key = ("filter_groups", id(self._filter_groups), str(get_locale()))
        return self._built(key, super()._get_filter_groups)

    # --------------------------------------------------------- list rows (list_rows.py)
    def render(self, template, **kwargs):
        if "pager_url" in kwargs and "sort_url" in kwargs:  # the list: else one url_for per header and page link
            kwargs["pager_url"] = list_rows.ValueUrls(kwargs["pager_url"], direct=(0, None))
            kwargs["sort_url"] = list_rows.ValueUrls(kwargs["sort_url"])
        return super().render(template, **kwargs)

    @pass_context
    def render_list_rows(self, context, rows):
        return list_rows.render_rows(self, context, rows)

    @pass_context
    def render_list_header(self, context):
        return list_rows.render_header(self, context)

    def list_row_buttons(self, context) -> list:
        """The icons of each row, as functions (row_id, row, position) -> HTML prepared once per page."""
        return list_rows.stock_row_buttons(self, context)

    def get_export_value(self, model, name):
        """Export cells that a spreadsheet would run as a formula (=, +, -, @...) are neutralised."""
        return neutralise_formula(super().get_export_value(model, name))

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

    # --------------------------------------------------------- scope
    def get_query(self):
        return scoped_query(self.model)

    def get_count_query(self):
        return scoped_query(self.model, db.func.count())

    # --------------------------------------------------------- list cost (issue 7, bench/RESULTS.md)
    # Stock Flask-Admin runs COUNT(*) over the whole scoped, filtered table on every list page
    # (~30 ms at 400,000 actions, and growing with the base) and loads the related row of a
    # dotted column (organisme.raison_sociale) with one query per row. Here a page costs one
    # statement: its rows with their many-to-one relations and a bounded count (+ one per
    # collection shown), whatever the size of the base and of the page.
    simple_list_pager = True  # switches Flask-Admin's own COUNT(*) off; get_list counts below
    count_cap = 1000  # rows counted past the current page at most; beyond, "plus de N"
    list_eager_load: tuple[str, ...] = ()  # extra paths a formatter reads, e.g. ("lieu", "action.organisme")
    # Values a formatter would compute from a collection (an action's CPF from its certifications),
    # computed by the page's own statement instead: name -> function returning the SQL expression.
    # The formatter reads them with list_extra(); an export (query returned unexecuted) loads
    # `export_eager_load` instead.
    list_extra_columns: dict = {}
    export_eager_load: tuple[str, ...] = ()
    # The columns the list reads, as paths ("numero", "organisme.nom_usuel"): when given, the page's
    # statement selects those (and the keys) only, and its rows are records of them, not ORM objects
    # (list_records.py): a formatter reading another column fails (tests/integration/test_list_records.py).
    # None: ORM objects with every column but the long texts (list_deferred_columns).
    list_load_only: tuple[str, ...] | None = None
    list_as_records = True  # with list_load_only: the page's rows as records, not ORM objects (tests compare both)
    # What a fiche (get_one: edit, details, save) reads of the record's relations, loaded with it
    # (joined along many-to-one paths, one select-in per collection) rather than lazily one
    # statement at a time, e.g. ("organisme", "sessions.lieu").
    fiche_eager_load: tuple[str, ...] = ()
    _view_cache: dict | None = None  # what _built() keeps

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, query = super().get_list(page, sort_column, sort_desc, search, filters,
                                        execute=False, page_size=page_size)
        if not execute:  # exports stream the query (every column) and need no count
            return count, query.options(*self.list_loader_options(), *self._built(
                "export", lambda: self._eager_loads(self.export_eager_load)))
        size = self.page_size if page_size is None else page_size
        return self._page(query, (page or 0) * (size or 0), size)

    def _page(self, query, offset: int, size: int | None) -> tuple[int, list]:
        """(bounded count, rows) in one statement: the count is a column of every row, an
        uncorrelated sub-select that PostgreSQL runs once (one round trip less per page). A page
        past the end has no row to carry it: counted apart. With list_load_only, the rows are
        records of those columns (list_records.py), else ORM objects."""
        names = list(self.list_extra_columns)
        count = self._bounded_count_select(query, offset).scalar_subquery().label("list_count")
        extra = self._built("extra", lambda: [self.list_extra_columns[name]().label(name) for name in names])
        shape = self._built("records", lambda: RecordShape(self.model, self.list_load_only)) \
            if self.list_load_only is not None and self.list_as_records else None
        if shape is None:
            page = query.options(*self.list_loader_options(), *self.list_deferred_columns())
            width, build = 1, operator.itemgetter(0)
        else:
            page, width, build = shape.select(query, size, offset), shape.width, shape.build
        rows = page.add_columns(count, *extra).all()
        if not rows:
            return self.bounded_count(query, offset), []
        models = [build(row) for row in rows]
        if names:
            extras = g.setdefault("_list_extras", {})
            for model, row in zip(models, rows, strict=True):
                extras[(self.endpoint, self.get_pk_value(model))] = dict(zip(names, row[width + 1:], strict=True))
        return self._bounded(rows[0][width], offset), models

    def list_extra(self, model, name: str, compute):
        """The value `name` of list_extra_columns for this row of the page, else compute(model)."""
        values = g.get("_list_extras", {}).get((self.endpoint, self.get_pk_value(model))) \
            if has_request_context() else None
        return values[name] if values and name in values else compute(model)

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """Flask-Admin's order, then the primary key in the same direction: rows that tie on the
        sort (hundreds of actions stamped by one Robot night, sessions starting the same day) keep
        one order from page to page, so paging neither repeats nor skips any. The indexes behind
        the default orders end with the id (schema.sql)."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        if sort_column is None:
            order = list(self._get_default_order())
            if not order:
                return query, joins
            sort_desc = order[-1][2]
        pk = self._pk_column()
        return query.order_by(pk.desc() if sort_desc else pk.asc()), joins

    def bounded_count(self, query, offset: int) -> int:
        """Rows of `query` up to offset + count_cap: exact below, AtLeast above (one cheap statement)."""
        return self._bounded(db.session.execute(self._bounded_count_select(query, offset)).scalar(), offset)

    def _bounded_count_select(self, query, offset: int):
        rows = query.limit(None).offset(None).order_by(None).with_entities(self._pk_column())
        return select(func.count()).select_from(rows.limit(offset + self.count_cap + 1).subquery())

    def _bounded(self, count: int, offset: int) -> int:
        limit = offset + self.count_cap + 1
        return count if count < limit else AtLeast(limit - 1)

    def list_deferred_columns(self) -> list:
        """What the list does not load: the columns outside list_load_only when the view names them;
        else the long texts the grid does not show (contenu, the published JSON snapshot...), which
        a page of 20 actions would otherwise read and decode, kilobytes per row."""
        if self.list_load_only is not None:
            return self._built("load_only", self._load_only_options)
        return self._built("deferred", self._deferred_texts)

    def _load_only_options(self) -> list:
        # The rows' ORM loading and transfer grow with their columns, most of which the grid never
        # shows (a joined organisme has 44, the actions list reads 2): one load_only per entity.
        options = []
        for relations, names in columns_by_relation(self.list_load_only).items():
            model, option = self.model, None
            for name in relations:
                attr = getattr(model, name)
                option = defaultload(attr) if option is None else option.defaultload(attr)
                model = attr.property.mapper.class_
            columns = [getattr(model, name) for name in names]
            options.append(load_only(*columns) if option is None else option.load_only(*columns))
        return options

    def _deferred_texts(self) -> list:
        shown = {name.split(".")[0] for name, _label in self._list_columns} | set(self.list_eager_load)
        return [defer(getattr(self.model, attr.key)) for attr in inspect(self.model).column_attrs
                if attr.key not in shown and isinstance(attr.columns[0].type, Text)]

    def list_loader_options(self) -> list:
        """Eager loads for the relations the list shows: joinedload along many-to-one paths,
        selectinload for collections (computed once per view from column_list + list_eager_load)."""
        return self._built("list", lambda: self._eager_loads(
            [name for name, _label in self._list_columns] + list(self.list_eager_load)))

    def _built(self, key: str, build):
        """build() once per view: the list's options and expressions depend on its configuration only."""
        if self._view_cache is None:
            self._view_cache = {}
        if key not in self._view_cache:
            self._view_cache[key] = build()
        return self._view_cache[key]

    def _eager_loads(self, paths) -> list:
        options = {}
        for path in paths:
            option, model, walked = None, self.model, []
            for part in path.split("."):
                attr = getattr(model, part, None)
                prop = getattr(attr, "property", None)
                if not isinstance(prop, RelationshipProperty):
                    break
                loader = "selectinload" if prop.uselist else "joinedload"
                option = getattr(option, loader)(attr) if option is not None else LOADERS[loader](attr)
                model, walked = prop.mapper.class_, walked + [part]
            if option is not None:
                options[".".join(walked)] = option
        return list(options.values())

    def get_one(self, id):
        """The record if it is in the user's scope, else 404 (never another's data)."""
        pk = self._pk_column()
        if isinstance(id, str):
            # ids come from the URL as text; SQLAlchemy 2.1 would bind them as VARCHAR,
            # which PostgreSQL refuses to compare with an integer key
            try:
                id = pk.type.python_type(id)
            except (ValueError, NotImplementedError):
                abort(404)
        query = self.get_query().filter(pk == id)
        if self.fiche_eager_load:
            query = query.options(*self._built("fiche", lambda: self._eager_loads(self.fiche_eager_load)))
        obj = query.first()
        if obj is None:
            abort(404)
        return obj

    def _pk_column(self):
        return getattr(self.model, self._primary_key)

    def _create_ajax_loader(self, name, options):
        return ScopedAjaxLoader(name, db.session, self._ajax_model_for(name), **options)

    def _ajax_model_for(self, name):
        return getattr(self.model, name).property.mapper.class_

    def validate_form(self, form):
        """Flask-Admin's checks, plus: a posted choice matching no row the user may pick is an error.
        An optional picker would otherwise blank it silently (a forged or out-of-scope id)."""
        valid = super().validate_form(form)
        for field in form:
            if isinstance(field, (QuerySelectField, AjaxSelectField)) and field.data is None \
                    and field.raw_data and field.raw_data[0] not in ("", "__None"):
                field.errors = [*field.errors, gettext("Not a valid choice")]
                valid = False
        return valid

    def _scope_form_pickers(self, form):
        """Restrict every relationship <select> to rows in the user's scope. A <select> over a
        referential (niveaux, programmes) reads its table once per request, however many fields
        of the form list it (an action's niveau d'entrée and de sortie), unless the view gives the
        field its own query_factory."""
        custom = {name for name, args in (self.form_args or {}).items() if "query_factory" in args}
        for field in form:
            if isinstance(field, (QuerySelectField, QuerySelectMultipleField)):
                target = self._field_model(field)
                if target in SCOPED_MODELS:
                    field.query_factory = (lambda m=target: scoped_query(m))
                    field.query = None
                elif target is not None and field.name not in custom:
                    field.query_factory = (lambda m=target: _request_rows(m))
            if type(field.widget) is Select2Widget:
                field.widget = FAST_SELECT2
        return form

    def _field_model(self, field):
        relation = getattr(self.model, field.name, None)
        prop = getattr(relation, "property", None)
        mapper = getattr(prop, "mapper", None)
        return mapper.class_ if mapper is not None else None

    def create_form(self, obj=None):
        return self._scope_form_pickers(super().create_form(obj))

    def edit_form(self, obj=None):
        form = self._scope_form_pickers(super().edit_form(obj))
        if self.optimistic_locking and obj is not None and request.method == "GET":
            form.fiche_version.data = str(obj.version_id)
        return form

    def list_form(self, obj=None):
        return self._scope_form_pickers(super().list_form(obj))

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
        python_type = self._pk_column().type.python_type
        try:
            return [python_type(i) for i in ids]
        except (TypeError, ValueError):
            abort(404)

    @action("delete", lazy_gettext("Delete"), lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        return super().action_delete(self.typed_ids(ids))

    # --------------------------------------------------------- optimistic locking
    def scaffold_form(self):
        form_class = super().scaffold_form()
        if self.optimistic_locking:
            form_class.fiche_version = HiddenField()
        return form_class

    def update_model(self, form, model):
        if not self.optimistic_locking:
            return self._update_model(form, model)
        submitted = form.fiche_version.data
        if not submitted or submitted != str(model.version_id):
            flash(STALE_MESSAGE, "error")
            return False
        # out of the form while it populates the model (no such column), back in afterwards: a form
        # re-shown after a refused save must still carry the version, or its next send is refused
        version_field = form._fields.pop("fiche_version")
        try:
            return self._update_model(form, model)
        finally:
            form._fields["fiche_version"] = version_field

    def _update_model(self, form, model):
        try:
            return super().update_model(form, model)
        except StaleDataError:
            db.session.rollback()
            flash(STALE_MESSAGE, "error")
            return False

    def handle_view_exception(self, exc):
        if isinstance(exc, StaleDataError):
            flash(STALE_MESSAGE, "error")
            return True
        if isinstance(exc, IntegrityError):
            # never show SQL to the user; the constraint names say which rule was broken
            flash(INTEGRITY_MESSAGE, "error")
            return True
        return super().handle_view_exception(exc)

    # --------------------------------------------------------- history link
    def history_url(self, model) -> str | None:
        """Link to the fiche's history, for those who may read it."""
        if model is None or not self._allowed("history"):
            return None
        return url_for("historique.record", view=self.endpoint, id=self.get_pk_value(model))


class ReadOnlyModelView(SecureModelView):
    """A screen that lists and shows, nothing else (history, referentials for non-admins)."""

    @property
    def can_create(self):
        return False

    @property
    def can_edit(self):
        return False

    @property
    def can_delete(self):
        return False
