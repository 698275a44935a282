"""The forms of every screen: French messages, and relationship pickers limited to what the user
may pick (a forged or out-of-scope id fails validation instead of being saved or blanked)."""
from flask import g
from flask_admin.babel import Translations, gettext
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.form import BaseForm
from flask_admin.model.fields import AjaxSelectField
from wtforms.validators import ValidationError

from ..extensions import db
from .scope import SCOPED_MODELS, scoped_query


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
