"""Form fields and saving of the action and session fiches, with French messages at the field.

WTForms' own messages for a value it cannot parse are English and generic; users type
"35,5" for hours and expect dd/mm/yyyy dates. These fields parse what users type and say
what is wrong in French.
"""
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import flash, request
from flask_admin.contrib.sqla.view import ModelView
from flask_login import current_user
from wtforms import fields, widgets
from wtforms.validators import ValidationError

from .. import workflow as W
from ..extensions import db
from ..services.actions import ServiceError
from .base import STALE_MESSAGE, ScopedAjaxLoader

HOURS_MAX = Decimal("999999.9")  # NUMERIC(7, 1)


class DateFrField(fields.DateField):
    """A date typed as JJ/MM/AAAA or sent by the browser's date picker as AAAA-MM-JJ."""

    widget = widgets.DateInput()
    FORMATS = ("%Y-%m-%d", "%d/%m/%Y")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("format", None)
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        text = " ".join(v for v in valuelist if v).strip() if valuelist else ""
        self.data = None
        if not text:
            return
        for fmt in self.FORMATS:
            try:
                self.data = datetime.strptime(text, fmt).date()
                return
            except ValueError:
                continue
        raise ValueError("La date n'est pas valide : saisissez-la au format JJ/MM/AAAA.")

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%Y-%m-%d") if isinstance(self.data, date) else ""


class HoursField(fields.Field):
    """A number of hours: digits with an optional decimal comma or point (one decimal)."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("places", None)
        kwargs.pop("use_locale", None)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "") or ""
        text = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
        self.data = None
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError("Saisissez un nombre d'heures en chiffres, par exemple 35 ou 35,5.") from None
        if not value.is_finite() or value < 0 or value > HOURS_MAX:
            raise ValueError("Le nombre d'heures doit être compris entre 0 et 999 999,9.")
        if value != value.quantize(Decimal("0.1")):
            raise ValueError("Le nombre d'heures ne peut avoir qu'une décimale.")
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(Decimal(self.data).normalize(), "f").replace(".", ",")


class AnneesField(fields.SelectMultipleField):
    """Année(s) d'apprentissage 1 to 5, ticked boxes stored as '1,2,3'."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("allow_blank", None)
        kwargs["choices"] = [(str(n), f"Année {n}") for n in range(1, 6)]
        super().__init__(label, validators, **kwargs)

    def process_data(self, value):
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        super().process_data(value)

    def pre_validate(self, form):
        allowed = {value for value, _label in self.choices}
        if any(v not in allowed for v in self.data or []):
            raise ValidationError("Les années d'apprentissage vont de 1 à 5.")

    def populate_obj(self, obj, name):
        values = sorted(set(self.data or []))
        setattr(obj, name, ",".join(values) or None)


class NiveauBacField(fields.SelectField):
    """Pré-bac / post-bac, or nothing."""

    CHOICES = [("", ""), ("pre_bac", "Pré-bac"), ("post_bac", "Post-bac")]

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("allow_blank", None)
        kwargs["choices"] = self.CHOICES
        kwargs["coerce"] = lambda v: v or None
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form):
        if self.data not in (None, "pre_bac", "post_bac"):
            raise ValidationError("Choisissez pré-bac ou post-bac.")


class ServiceFormMixin:
    """Saving a fiche through a service: optimistic lock, no autoflush, errors at their fields.

    Put before SecureModelView. `fiche_version` stays in the form (re-shown after an error, so a
    corrected form can be sent again); on the model it is an inert attribute.
    """

    def update_model(self, form, model):
        if self.refuse_update(model):
            return False
        submitted = form.fiche_version.data
        if not submitted or submitted != str(model.version_id):
            flash(STALE_MESSAGE, "error")
            return False
        with db.session.no_autoflush:  # keep the attribute history the business rules compare
            return ModelView.update_model(self, form, model)

    def create_model(self, form):
        with db.session.no_autoflush:  # nothing reaches the database before the rules are checked
            return super().create_model(form)

    def refuse_update(self, model) -> bool:
        """Flash why this record may not be saved at all, and say so (default: never)."""
        return False

    @staticmethod
    def call_service(form, service, *args):
        """Run a service from on_model_change: a ServiceError's messages go to their fields, a refused
        transition to the page; either aborts the save (Flask-Admin flashes and rolls back)."""
        try:
            return service(db.session, current_user, *args)
        except ServiceError as exc:
            for field_name, message in exc.errors:
                field = getattr(form, field_name, None) if field_name else None
                if field is not None:
                    field.errors = list(field.errors) + [message]
            raise ValidationError(exc.message) from None
        except W.WorkflowError as exc:
            raise ValidationError(exc.message) from None

    def handle_view_exception(self, exc):
        if isinstance(exc, W.WorkflowError):
            flash(exc.message, "error")
            return True
        return super().handle_view_exception(exc)


class OrganismeBookLoader(ScopedAjaxLoader):
    """An ajax picker in one organisme's carnet (contacts, addresses): `?organisme_id=` on the look-up
    narrows the search to the fiche's organisme, inside the user's scope (an organisme's book can hold
    thousands of rows: never a plain <select>). The services refuse another organisme's row anyway."""

    def get_query(self):
        query = super().get_query()
        organisme_id = request.args.get("organisme_id", type=int)
        return query.filter(self.model.organisme_id == organisme_id) if organisme_id else query


def narrow_to_organisme(view, field, organisme_id) -> None:
    """Point an OrganismeBookLoader picker's look-ups at one organisme's book."""
    if field is not None and organisme_id is not None:
        url = view.get_url(".ajax_lookup", name=field.loader.name, organisme_id=organisme_id)
        field.render_kw = {**(field.render_kw or {}), "data-url": url}
