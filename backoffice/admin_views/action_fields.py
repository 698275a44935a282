"""Form fields and saving of the action and session fiches, with French messages at the field.

WTForms' own messages for a value it cannot parse are English and generic; users type
"35,5" for hours, "1 250,50" for euros and dates as JJ/MM/AAAA, or MM/AAAA and AAAA when only
the month or the year is known. These fields parse what users type and say what is wrong in
French; the business rules (ranges, periods, counts) are the services'.
"""
from decimal import Decimal, InvalidOperation

from flask import flash, request
from flask_admin.contrib.sqla.fields import InlineModelFormList, QuerySelectMultipleField
from flask_admin.contrib.sqla.form import InlineModelConverter
from flask_admin.contrib.sqla.view import ModelView
from flask_admin.form.widgets import Select2Widget
from flask_admin.model.fields import InlineModelFormField
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms import fields, widgets
from wtforms.validators import ValidationError

from .. import rules
from .. import workflow as W
from ..extensions import db
from ..models import BlocCompetences
from ..models.action import action_certification
from ..rules.dates import DAY, parse_french_partial
from ..rules.validation import date_in_range
from ..services.actions import ServiceError
from . import form_checks
from .base import STALE_MESSAGE, ScopedAjaxLoader
from .readable import french_date, french_dates

HOURS_MAX = Decimal("999999.9")  # NUMERIC(7, 1)


PARTIAL_DATE_HINT = "JJ/MM/AAAA, MM/AAAA ou AAAA"


def _parse_partial(text: str):
    parsed = parse_french_partial(text)
    if parsed is None:
        raise ValueError(rules.DATE_FORMAT_MESSAGE)
    if message := date_in_range(parsed.first) or date_in_range(parsed.last):
        raise ValueError(message)
    return parsed


class PartialDateField(fields.Field):
    """A session date as it is known: JJ/MM/AAAA, MM/AAAA (the month only) or AAAA (the year only).

    `bound` says which day of a month or a year is stored (a start its first, an end its last) and
    `precision_attr` where its precision goes; the view sets `precision` from the record, so that
    a date known to the month is shown back as MM/AAAA."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, bound="first", precision_attr="debut_precision", **kwargs):
        for unused in ("format", "allow_blank"):
            kwargs.pop(unused, None)
        kwargs["render_kw"] = {"placeholder": PARTIAL_DATE_HINT, **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)
        self.bound, self.precision_attr, self.precision = bound, precision_attr, DAY

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            parsed = _parse_partial(text)
            self.data, self.precision = getattr(parsed, self.bound), parsed.precision

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return french_date(self.data, self.precision)

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data)
        if self.data is not None:
            setattr(obj, self.precision_attr, self.precision)


class LheoDateField(fields.Field):
    """A date stored as LHEO text (AAAAMMJJ, 00 for an unknown day or month), typed and shown in
    French (JJ/MM/AAAA, MM/AAAA or AAAA)."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["render_kw"] = {"placeholder": PARTIAL_DATE_HINT, **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = _parse_partial(text).lheo() if text else None

    def _value(self):
        return self.raw_data[0] if self.raw_data else french_dates(self.data)


class _DatesWidget:
    """`count` text inputs under one name (the field reads them as a list)."""

    def __call__(self, field, **kwargs):
        kwargs.pop("id", None)
        css = kwargs.pop("class", "") or "form-control"
        inputs = []
        for index, value in enumerate(field.shown()):
            attrs = {"type": "text", "name": field.name, "value": value, "class": f"{css} mb-1",
                     "id": field.id if index == 0 else f"{field.id}-{index + 1}", "placeholder": PARTIAL_DATE_HINT,
                     "aria-label": f"{field.label.text} ({index + 1})"}
            inputs.append(Markup("<input %s>") % widgets.html_params(**attrs))
        return Markup("").join(inputs)


class LheoDatesField(fields.Field):
    """Up to `count` LHEO dates in one column ('20270915,20270922'), one French input each. More
    dates than the column holds are kept for the service to refuse with its message."""

    widget = _DatesWidget()
    count = rules.DATES_INFORMATION_MAX

    def process_formdata(self, valuelist):
        texts = [v.strip() for v in valuelist or () if v and v.strip()]
        self.data = ",".join(_parse_partial(text).lheo() for text in texts) or None

    def shown(self) -> list[str]:
        values = list(self.raw_data) if self.raw_data else french_dates(self.data).split(", ")
        values = [v for v in values if v]
        return values + [""] * max(self.count - len(values), 0)


class EurosField(fields.Field):
    """An amount in euros as people write it: 1 250, 1250,50 or 1 250,50 €. Its range and cents are
    business rules (rules.check_price, in the services)."""

    widget = widgets.TextInput()
    range_by_rules = True  # the column's range is checked by the rule, with its own message (forms.py)

    def __init__(self, label=None, validators=None, **kwargs):
        for unused in ("places", "use_locale", "rounding", "number_format"):
            kwargs.pop(unused, None)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "") or ""
        for ignored in (" ", "\u00a0", "\u202f", "€"):
            text = text.replace(ignored, "")
        self.data = None
        if not text:
            return
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise ValueError("Saisissez un montant en euros, en chiffres : par exemple 1 250 ou 1 250,50.")
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return rules.euros_text(self.data) if self.data is not None else ""


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


class _FinanceurRow(InlineModelFormField):
    """One funder row; its stored financeur code (a hidden field) marks a row that exists."""

    def get_pk(self):
        return self.form.financeur_code.data or None


class FinanceurRows(InlineModelFormList):
    """A session's funders, one row each: a financeur and its funded places. A row is matched to the
    stored one by its financeur code (its identity within the session, part of the key); a row
    removed or ticked for deletion is deleted. Duplicates and the count are the services' rules."""

    form_field_type = _FinanceurRow

    @staticmethod
    def row_key(row):
        """What a stored row posts as its key (form_checks.refuse_foreign_rows)."""
        return row.financeur_code

    def populate_obj(self, obj, name):
        stored = {row.financeur_code: row for row in getattr(obj, name)}
        rows = []
        for entry in self.entries:
            financeur = entry.form.financeur.data
            if self.should_delete(entry) or financeur is None:
                continue
            row = stored.pop(financeur.code, None) or self.model(financeur_code=financeur.code)
            row.financeur, row.nb_places = financeur, entry.form.nb_places.data
            rows.append(row)
        setattr(obj, name, rows)


class FinanceurRowsConverter(InlineModelConverter):
    inline_field_list_type = FinanceurRows


class ServiceFormMixin:
    """Saving a fiche through a service: optimistic lock, no autoflush, errors at their fields.

    Put before SecureModelView. `fiche_version` stays in the form (re-shown after an error, so a
    corrected form can be sent again); on the model it is an inert attribute.
    """

    def validate_form(self, form):
        valid = super().validate_form(form)
        return form_checks.blank_required_text(form) & form_checks.unknown_choices(form) & valid

    def update_model(self, form, model):
        form_checks.refuse_foreign_rows(form, model)
        if self.refuse_update(model):
            return False
        submitted = form.fiche_version.data
        if not submitted or submitted != str(model.version_id):
            flash(STALE_MESSAGE, "error")
            return False
        with db.session.no_autoflush:  # keep the attribute history the business rules compare
            return ModelView.update_model(self, form, model)

    def create_model(self, form):
        form_checks.refuse_foreign_rows(form, None)
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


class StrictSelectMultipleField(QuerySelectMultipleField):
    """A multiple <select> of a table that refuses a posted value matching no choice (a forged id):
    Flask-Admin's own check runs before it matches the posted values, and drops them silently."""

    widget = Select2Widget(multiple=True)

    def pre_validate(self, form):
        self._get_data()  # matches the posted values with the choices, flagging those that match none
        super().pre_validate(form)


def coded_choices(table: dict[str, str]) -> list[tuple[str, str]]:
    """An LHEO code table as select choices: ('2', '2 - Individualisé')."""
    return [(code, f"{code} - {label}") for code, label in table.items()]


def certification_blocs(action) -> list:
    """The blocs de compétences of the action's saved certifications (one statement; none for a new action)."""
    if action is None or action.id is None:
        return []
    link = action_certification.c
    return db.session.scalars(
        select(BlocCompetences).join(action_certification, link.certification_id == BlocCompetences.certification_id)
        .where(link.action_id == action.id).order_by(BlocCompetences.code)).all()


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
