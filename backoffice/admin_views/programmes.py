"""GÉRER SES PROGRAMMES (a tab of the original DOKELIO): the CARIF's team manages the programmes and
dispositifs of the conventionnées actions, and each programme's field-lock policy, as data on screen.

Resource "programme" of permissions.MATRIX: documentalistes and administrators. A programme is a
financeur (picked in the financeur referential) + a dispositif + a year (schema.sql); its lock policy
is a checklist of exactly rules/locks.py's LOCKABLE_FIELDS (why on the programme and not on the
dispositif: rules/locks.py), which services/sessions.py enforces on the organismes' sessions.
Refused at the field or by name: a second programme for the same financeur, dispositif and year, a
lock field name that the checklist does not offer (a forged form), deleting a programme or a
dispositif that actions still use. Changes are recorded in the history (models/listeners.py).
"""
from flask import flash
from markupsafe import Markup
from sqlalchemy import func, or_, select
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..extensions import db
from ..models import Action, Dispositif, Programme, Session
from ..rules import locks
from .referentials import ReferentialView, _strip, _upper, code_format, year_range

CATEGORY = "Gérer ses programmes"


class LockPolicyWidget(ListWidget):
    """The check boxes as a plain list inside a group named by the field's label: Flask-Admin gives every
    field the class form-control, whose fixed height would let the list spill over the fields below."""

    def __call__(self, field, **kwargs):
        classes = [c for c in str(kwargs.pop("class", "")).split() if c != "form-control"]
        boxes = super().__call__(field, **{**kwargs, "class": "list-unstyled mb-0", "id": f"{field.id}-liste"})
        return Markup('<div role="group" id="{}" class="{}" aria-label="{}">{}</div>').format(
            field.id, " ".join(classes), field.label.text, boxes)


class LockPolicyField(SelectMultipleField):
    """champs_verrouilles as check boxes over locks.LOCKABLE_FIELDS, stored comma-separated."""

    widget = LockPolicyWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["choices"] = [SelectChoice(name, text) for name, text in locks.LOCKABLE_FIELDS.items()]
        kwargs.pop("coerce", None)
        super().__init__(label, validators, **kwargs)

    def process_data(self, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        super().process_data(value)

    def pre_validate(self, form):
        unknown = locks.unknown_lock_fields(self.data or ())
        if unknown:
            raise ValidationError("Champ inconnu : " + ", ".join(unknown) + ". Choisissez parmi les champs proposés.")

    def populate_obj(self, obj, name):
        setattr(obj, name, locks.lock_policy_text(self.data or ()))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def lock_reach(actions: int) -> str:
    """What saving the lock policy reaches, said on the programme's fiche."""
    if not actions:
        return "Aucune action conventionnée n'est encore rattachée à ce programme."
    if actions == 1:
        return ("1 action conventionnée est rattachée à ce programme : les champs cochés dans « Champs verrouillés "
                "pour l'organisme » ne sont plus modifiables par son organisme dès l'enregistrement.")
    return (f"{actions} actions conventionnées sont rattachées à ce programme : les champs cochés dans « Champs "
            "verrouillés pour l'organisme » ne sont plus modifiables par leurs organismes dès l'enregistrement.")


def programme_in_use(programme: Programme) -> str | None:
    """Why this programme may not be deleted (the actions it funds), else None."""
    actions = db.session.scalar(select(func.count(Action.id)).where(Action.programme_id == programme.id))
    if not actions:
        return None
    return (f"Le programme « {programme} » ne peut pas être supprimé : "
            f"{_plural(actions, 'action')} conventionnée{'s' if actions > 1 else ''} "
            f"{'y sont rattachées' if actions > 1 else 'y est rattachée'}. "
            "Rattachez-les d'abord à un autre programme.")


def dispositif_in_use(dispositif: Dispositif) -> str | None:
    """Why this dispositif may not be deleted (its programmes, the actions using it), else None."""
    programmes = select(Programme.id).where(Programme.dispositif_id == dispositif.id)
    n_programmes = db.session.scalar(select(func.count()).select_from(programmes.subquery()))
    by_session = select(Session.action_id).where(Session.dispositif_id == dispositif.id)
    n_actions = db.session.scalar(select(func.count(Action.id)).where(
        or_(Action.programme_id.in_(programmes), Action.id.in_(by_session))))
    if not n_programmes and not n_actions:
        return None
    uses = []
    if n_actions:
        uses.append(f"{_plural(n_actions, 'action')} (par ses sessions ou son programme)")
    if n_programmes:
        uses.append(_plural(n_programmes, "programme"))
    return (f"Le dispositif « {dispositif} » ne peut pas être supprimé : il est utilisé par "
            f"{' et '.join(uses)}.")


class InUseRefusalMixin:
    """A record still in use is not deleted (one by one or in bulk): said by name, with the count."""

    def in_use(self, model) -> str | None:
        raise NotImplementedError

    def delete_model(self, model):
        reason = self.in_use(model)
        if reason:
            flash(reason, "error")
            return False
        return super().delete_model(model)


def _policy_column(view, context, model, name):
    return locks.lock_policy_labels(model.champs_verrouilles)


def _programmes_column(view, context, model, name):
    """The dispositif's rules as its programmes set them: 'AFC-2026 : Date de début, Date de fin'."""
    return "; ".join(f"{p.code} : {locks.lock_policy_labels(p.champs_verrouilles)}"
                     for p in sorted(model.programmes, key=lambda p: (-p.annee, p.code))) or "Aucun programme"


class ProgrammeView(InUseRefusalMixin, ReferentialView):
    """A programme = a financeur + a dispositif + a year, with its field-lock policy."""

    resource = "programme"
    key_fields = ()
    edit_template = "admin/programmes_edit.html"
    create_template = "admin/programmes_create.html"
    column_list = ["code", "intitule", "financeur", "dispositif", "annee", "champs_verrouilles"]
    form_columns = ["code", "intitule", "financeur", "dispositif", "annee", "champs_verrouilles"]
    column_details_list = form_columns
    column_searchable_list = ["code", "intitule"]
    column_filters = ["annee", "financeur", "dispositif"]
    column_default_sort = [("annee", True), ("code", False)]
    column_select_related_list = [Programme.financeur, Programme.dispositif]
    column_descriptions = {**ReferentialView.column_descriptions,
                           "code": "Code unique du programme, en majuscules, par exemple PRFE-2026."}
    column_formatters = {"champs_verrouilles": _policy_column}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    form_overrides = {"champs_verrouilles": LockPolicyField}
    form_args = {
        "code": {"validators": [code_format(r"^[A-Z0-9_-]{2,40}$",
                                            "Le code programme s'écrit en majuscules, chiffres, « _ » ou « - » "
                                            "(2 à 40 caractères), par exemple PRFE-2026.")],
                 "filters": [_upper]},
        "intitule": {"filters": [_strip]},
        "annee": {"validators": [year_range(2000, 2100)]},
        "champs_verrouilles": {"validators": []},
    }

    def in_use(self, model):
        return programme_in_use(model)

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form._programme_id = obj.id if obj is not None else None
        return form

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not hasattr(form, "annee"):
            return valid  # delete form, action form
        return self._not_a_twin(form) & valid

    @staticmethod
    def _not_a_twin(form) -> bool:
        """One programme per financeur, dispositif and year: a second one would split the actions of
        one convention (and the financeur's counters) between two records."""
        financeur, dispositif, annee = form.financeur.data, form.dispositif.data, form.annee.data
        if financeur is None or dispositif is None or annee is None or form.annee.errors:
            return True
        query = select(Programme).where(Programme.financeur_code == financeur.code,
                                        Programme.dispositif_id == dispositif.id, Programme.annee == annee)
        current = getattr(form, "_programme_id", None)
        if current is not None:
            query = query.where(Programme.id != current)
        with db.session.no_autoflush:
            twin = db.session.scalars(query.limit(1)).first()
        if twin is None:
            return True
        form.annee.errors = [*form.annee.errors,
                             f"Le programme {twin.code} « {twin.intitule} » existe déjà pour ce financeur, ce "
                             f"dispositif et l'année {annee} : modifiez-le plutôt que d'en créer un second."]
        return False

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.edit_template and model is not None:
            kwargs["lock_reach"] = lock_reach(db.session.scalar(
                select(func.count(Action.id)).where(Action.programme_id == model.id)))
        kwargs["lockable_fields"] = locks.LOCKABLE_FIELDS
        return super().render(template, **kwargs)


class DispositifView(InUseRefusalMixin, ReferentialView):
    """A dispositif, with the lock rules its programmes set (read in the list)."""

    resource = "programme"
    key_fields = ()
    column_list = ["code", "libelle", "apprentissage", "programmes"]
    column_details_list = ["code", "libelle", "apprentissage", "programmes"]
    form_columns = ["code", "libelle", "apprentissage"]
    column_filters = ["apprentissage"]
    column_default_sort = ("libelle", False)
    column_labels = {**ReferentialView.column_labels, "programmes": "Programmes et champs verrouillés"}
    column_descriptions = {**ReferentialView.column_descriptions,
                           "code": "Code unique du dispositif, en majuscules, par exemple PRO_A.",
                           "programmes": "Règles de gestion du dispositif : pour chacun de ses programmes, les "
                                         "champs de session que l'organisme ne peut pas modifier."}
    column_formatters = {"programmes": _programmes_column}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    form_args = {"code": {"validators": [code_format(r"^[A-Z0-9_-]{2,40}$",
                                                     "Le code dispositif s'écrit en majuscules, chiffres, « _ » ou « - » "
                                                     "(2 à 40 caractères), par exemple PRO_A.")],
                          "filters": [_upper]},
                 "libelle": {"filters": [_strip]}}

    def in_use(self, model):
        return dispositif_in_use(model)


def add_programme_views(admin, db_) -> None:
    """Register Programmes and Dispositifs under « Gérer ses programmes » (the URLs they always had)."""
    admin.add_view(ProgrammeView(Programme, db_, name="Programmes", endpoint="programmes", category=CATEGORY))
    admin.add_view(DispositifView(Dispositif, db_, name="Dispositifs", endpoint="dispositifs", category=CATEGORY))
