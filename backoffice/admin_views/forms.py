"""The forms of every screen: French messages, relationship pickers limited to what the user
may pick (a forged or out-of-scope id fails validation instead of being saved or blanked),
numbers kept within what their column can store, and a save the database still refuses told in
French (never its SQL)."""
from decimal import Decimal
from functools import cache

from flask import current_app, flash, g
from flask_admin.babel import Translations, gettext
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import BaseForm
from flask_admin.model.fields import AjaxSelectField
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from wtforms.validators import StopValidation, ValidationError

from ..column_limits import column_range, french_number, out_of_range
from ..extensions import db
from .scope import SCOPED_MODELS, scoped_query

RANGE_MESSAGE = "La valeur doit être comprise entre {low} et {high}."
DATABASE_REFUSAL_MESSAGE = ("L'enregistrement a été refusé par la base : une valeur dépasse ce qu'elle peut "
                            "stocker (nombre trop grand, texte trop long, date hors limites). Rien n'a été "
                            "enregistré ; vérifiez les champs et réessayez.")


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


def field_error(form, name: str, message: str):
    """Attach a French message to a form field and abort the save."""
    field = getattr(form, name, None)
    if field is not None:
        field.errors = list(field.errors) + [message]
    raise ValidationError(message)


def request_rows(model) -> list:
    """Every row of a referential table, read once per request (Flask-Admin's default choices)."""
    rows = g.setdefault("_referential_rows", {})
    if model not in rows:
        rows[model] = db.session.query(model).all()
    return rows[model]


class PickersMixin:
    """Relationship <select>s and ajax pickers of a ModelView's forms, scoped and checked."""

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
                    field.query_factory = (lambda m=target: request_rows(m))
        return form

    def _field_model(self, field):
        relation = getattr(self.model, field.name, None)
        prop = getattr(relation, "property", None)
        mapper = getattr(prop, "mapper", None)
        return mapper.class_ if mapper is not None else None

    def create_form(self, obj=None):
        return self._scope_form_pickers(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._scope_form_pickers(super().edit_form(obj))

    def list_form(self, obj=None):
        return self._scope_form_pickers(super().list_form(obj))


@cache
def _number_columns(model) -> dict[str, tuple[Decimal, Decimal]]:
    found = {}
    for attribute in sa_inspect(model).column_attrs:
        bounds = column_range(attribute.columns[0]) if len(attribute.columns) == 1 else None
        if bounds is not None:
            found[attribute.key] = bounds
    return found


def range_message(bounds: tuple[Decimal, Decimal]) -> str:
    low, high = (french_number(b) for b in bounds)
    return RANGE_MESSAGE.format(low=low, high=high)


class InColumnRange:
    """Validator: the number fits its column. First of the field's chain, and it stops the chain:
    a check that queries the database with the value (Flask-Admin's Unique) must not run."""

    def __init__(self, bounds: tuple[Decimal, Decimal]):
        self.bounds = bounds

    def __call__(self, form, field):
        if out_of_range(field.data, self.bounds):
            raise StopValidation(range_message(self.bounds))


class RangeCheckedConverter(AdminModelConverter):
    """Flask-Admin's converter, every field of a number column (whatever field class it gets,
    an override included) checked against the column's range first."""

    def convert(self, model, mapper, name, prop, field_args, hidden_pk):
        field = super().convert(model, mapper, name, prop, field_args, hidden_pk)
        columns = getattr(prop, "columns", None)
        bounds = column_range(columns[0]) if columns and hasattr(columns[0], "type") else None
        if getattr(getattr(field, "field_class", None), "range_by_rules", False):
            bounds = None  # a business rule bounds it more tightly, and says so in its own words
        if bounds is not None and field is not None and hasattr(field, "kwargs"):
            field.kwargs["validators"] = [InColumnRange(bounds), *(field.kwargs.get("validators") or ())]
        return field


def check_number_ranges(form, model) -> bool:
    """Every field of `form` named after a number column of `model` holds a value the column can
    store, else a French message at the field; sub-forms of inline rows are checked against their
    own model. The field may be the converter's, an override or one a view adds by hand: the
    column decides, whatever built the field."""
    valid = True
    columns = _number_columns(model)
    for field in form:
        inline_model = getattr(field, "model", None)
        entries = getattr(field, "entries", None)
        if inline_model is not None and entries is not None:
            for entry in entries:
                sub_form = getattr(entry, "form", None)
                if sub_form is not None:
                    valid &= check_number_ranges(sub_form, inline_model)
            continue
        bounds = None if getattr(field, "range_by_rules", False) else columns.get(field.short_name)
        if bounds is not None and out_of_range(field.data, bounds):
            if range_message(bounds) not in field.errors:  # a field the converter did not build
                field.errors = [*field.errors, range_message(bounds)]
            valid = False
    return valid


def _range_checked(list_filter, bounds):
    """`list_filter` refusing a value out of its column's range as it refuses a malformed one
    (Flask-Admin then ignores the filter and says so)."""
    validate = list_filter.validate

    def validate_in_range(value):
        if not validate(value):
            return False
        cleaned = list_filter.clean(value)
        values = cleaned if isinstance(cleaned, (list, tuple)) else [cleaned]
        return not any(out_of_range(v, bounds) for v in values)

    list_filter.validate = validate_in_range
    return list_filter


class NumberRangesMixin:
    """A number too large for its column is refused at its field (the database would refuse the
    whole save with an English error), and ignored as a list filter's value."""

    model_form_converter = RangeCheckedConverter

    def validate_form(self, form):
        valid = super().validate_form(form)
        return check_number_ranges(form, self.model) & valid

    def scaffold_filters(self, name):
        filters = super().scaffold_filters(name)
        for list_filter in filters or ():
            column = getattr(list_filter, "column", None)
            bounds = column_range(column) if column is not None and hasattr(column, "type") else None
            if bounds is not None:
                _range_checked(list_filter, bounds)
        return filters


class DatabaseRefusalMixin:
    """A save the database refuses for a reason the forms did not foresee (DataError...) is told in
    French and rolled back; Flask-Admin would show the driver's error and its SQL. Integrity and
    stale-data errors are answered before (locking.py)."""

    def handle_view_exception(self, exc):
        if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
            current_app.logger.warning("save refused by the database: %s", type(exc.orig or exc).__name__)
            db.session.rollback()
            flash(DATABASE_REFUSAL_MESSAGE, "error")
            return True
        return super().handle_view_exception(exc)
