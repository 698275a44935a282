"""Fiche organisme, carnet d'adresses and carnet de contacts.

Thin screens: saving and deleting go through services.carnets, which resolves the commune of
every address, keeps the places of sessions in Ile-de-France, re-saves the actions that show a
changed address or contact, refuses to delete one in use and keeps one contact principal per
organisme, whatever posted the form (the inline rows of the fiche organisme included).
"""
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.model.form import InlineFormAdmin
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import HiddenField
from wtforms.validators import Email, Optional, ValidationError

from .. import permissions, rules
from ..extensions import db
from ..models import ETATS_ORGANISME, Action, Adresse, Contact, Financeur, Organisme
from ..services import carnets, organisme_publication
from ..services.actions import ServiceError
from . import readable
from .action_fields import ServiceFormMixin
from .base import SecureModelView
from .help_bubbles import FICHE_NOTE, ORGANISME_BUBBLES
from .labels import (
    ADRESSE_DESCRIPTIONS,
    ADRESSE_LABELS,
    CONTACT_DESCRIPTIONS,
    CONTACT_LABELS,
    ORGANISME_LABELS,
)
from .list_filters import BooleanEqualFilter, FilterEqual, LookupFilter, contains


def _rule_validator(check):
    """Wrap a rules.validate_* function (None = valid) as a WTForms validator; blank is allowed."""
    def validator(_form, field):
        if field.data in (None, ""):
            return
        message = check(field.data)
        if message:
            raise ValidationError(message)
    return validator


def _postal_address_code(_form, field):
    """The postal address (adresse postale différente) has no commune to resolve: its format only."""
    if (field.data or "").strip() and rules.clean_code_postal(field.data) is None:
        raise ValidationError(rules.communes.CODE_POSTAL_INVALID)


class VersionField(HiddenField):
    """The version of an inline row as the page showed it: read by the view for the service's
    optimistic lock, never written to the row (SQLAlchemy owns version_id)."""

    def process_formdata(self, valuelist):
        # posted without it, a row has no version (WTForms would keep the stored row's, which is
        # always current): the service refuses the row rather than take it as fresh
        self.data = valuelist[0] if valuelist else ""

    def populate_obj(self, obj, name):
        return None


ADDRESS_FIELDS = ["pays", "complement_service", "complement_batiment", "numero_voie", "voie", "lieu_dit",
                  "code_postal", "ville"]
CONTACT_FIELDS = ["nom", "prenom", "fonction", "autre_fonction", "telephone", "mobile", "telecopie", "courriel",
                  "diffusable", "principal"]
EMAIL = [Optional(), Email(message="L'adresse de courriel n'est pas valide.")]
INLINE_ROWS = (("adresses", "adresse"), ("contacts", "contact"))
COMMUNE_LABEL = {"code_insee": "Commune (code INSEE)"}  # resolved from the postal code and the town


# The carnets' rows on the fiche keep only the help that changes what a row means; the rest is the
# carnet's « i » bubble (help_bubbles.py), not the same sentences under every row.
class AdresseInline(InlineFormAdmin):
    form_columns = ["id", "version_id", "libelle", *ADDRESS_FIELDS]  # version_id: form_extra_fields' VersionField
    form_extra_fields = {"version_id": VersionField()}
    column_labels = ADRESSE_LABELS
    column_descriptions = {"libelle": ADRESSE_DESCRIPTIONS["libelle"]}


class ContactInline(InlineFormAdmin):
    form_columns = ["id", "version_id", *CONTACT_FIELDS]
    form_extra_fields = {"version_id": VersionField()}
    column_labels = CONTACT_LABELS
    column_descriptions = {name: CONTACT_DESCRIPTIONS[name] for name in ("diffusable", "principal")}
    form_args = {"courriel": {"validators": EMAIL}}


def _inline_versions(form) -> dict[tuple[str, int], str]:
    """(kind, id) -> the version each existing inline row had on the page."""
    versions = {}
    for name, kind in INLINE_ROWS:
        for entry in getattr(form, name, None) or ():
            try:
                pk = int(entry.get_pk())
            except (TypeError, ValueError):
                continue  # a new row
            versions[(kind, pk)] = entry.form.version_id.data
    return versions


class CarnetDeleteMixin:
    """Single and bulk deletes (Flask-Admin's delete_view and action_delete both call delete_model)
    go through the service: refused, with why, while the record is in use."""

    delete_service = None

    def delete_model(self, model):
        try:
            type(self).delete_service(db.session, current_user, model)
        except carnets.ServiceError as exc:
            db.session.rollback()
            if exc.forbidden:
                abort(403)
            flash(exc.message, "error")
            return False
        return True


class OrganismeView(ServiceFormMixin, SecureModelView):
    resource = "organisme"
    optimistic_locking = True
    edit_template = "admin/organisme_fiche.html"

    column_list = ["numero", "raison_sociale", "nom_usuel", "siret", "code_postal", "ville", "etat", "updated_at"]
    column_labels = {**ORGANISME_LABELS, **COMMUNE_LABEL}
    column_descriptions = ORGANISME_BUBBLES  # shown as « i » bubbles on the fiche (organisme_fiche.html)
    column_default_sort = ("updated_at", True)
    column_sortable_list = ["numero", "raison_sociale", "nom_usuel", "updated_at",
                            ("etat", (Organisme.etat, Organisme.updated_at))]  # (index ix_organisme_etat)
    column_searchable_list = ["numero", "raison_sociale", "nom_usuel", "siret"]
    # equality on coded values and flags (50,000 rows: bench/bench_search.py), no "contient" on them
    column_filters = [FilterEqual(Organisme.etat, ORGANISME_LABELS["etat"],
                                  options=[(key.value, label) for key, label in ETATS_ORGANISME.items()]),
                      *[BooleanEqualFilter(getattr(Organisme, name), ORGANISME_LABELS[name]) for name in
                        ("modifications_a_valider", "est_organisme_formation", "est_financeur", "est_mediateur")],
                      FilterEqual(Organisme.code_postal, ORGANISME_LABELS["code_postal"]),
                      LookupFilter(Organisme.type_financeur_code, ORGANISME_LABELS["type_financeur"],
                                   Financeur.code, Financeur.libelle, contains, "contient")]
    column_formatters = {"etat": lambda v, c, m, n: ETATS_ORGANISME.get(m.etat, m.etat),
                         "updated_at": lambda v, c, m, n: m.updated_at.strftime("%d/%m/%Y") if m.updated_at else ""}
    column_details_exclude_list = ["justificatif_path", "version_id", "version_publiee", "version_source"]
    column_export_exclude_list = ["justificatif_path", "version_id", "version_publiee", "version_source"]
    # the region is the commune's (services.communes), never typed
    form_columns = [
        "raison_sociale", "nom_usuel", "siret", "nda", "uai",
        "est_organisme_formation", "est_financeur", "est_mediateur", "type_financeur",
        *ADDRESS_FIELDS, "adresse_postale_differente",
        "postale_complement_service", "postale_complement_batiment", "postale_numero_voie", "postale_voie",
        "postale_lieu_dit", "postale_code_postal", "postale_ville",
        "telephone", "autre_telephone", "telecopie", "courriel", "site_internet",
    ]
    form_args = {
        "siret": {"validators": [_rule_validator(rules.validate_siret)], "filters": [lambda v: v.replace(" ", "") if v else v]},
        "nda": {"validators": [_rule_validator(rules.validate_nda)], "filters": [lambda v: v.replace(" ", "") if v else v]},
        "uai": {"validators": [_rule_validator(rules.validate_uai)], "filters": [lambda v: v.strip().upper() if v else v]},
        "postale_code_postal": {"validators": [_postal_address_code]},
        "courriel": {"validators": EMAIL},
        # the rule the service applies (rules.validate_url), shown at the field before anything is saved
        "site_internet": {"validators": [_rule_validator(rules.validate_url)],
                          "filters": [lambda v: v.strip() or None if isinstance(v, str) else v]},
    }
    inline_models = [AdresseInline(Adresse), ContactInline(Contact)]
    form_ajax_refs = {}

    def on_model_change(self, form, model, is_created):
        return self.call_service(form, carnets.save_organisme_fiche, model, _inline_versions(form))

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.edit_template and model is not None and kwargs.get("form") is not None:
            tabs = fiche_tabs(kwargs["form"])
            actions, actions_total = organisme_actions(model)
            kwargs.update(tabs=tabs, active_tab=next((t["key"] for t in tabs if t["error"]), tabs[0]["key"]),
                          error_tab=any(t["error"] for t in tabs), bubbles=ORGANISME_BUBBLES,
                          fiche_note=FICHE_NOTE, organisme_actions=actions, organisme_actions_total=actions_total,
                          etat_label=ETATS_ORGANISME.get(model.etat, model.etat))
        if template == self.edit_template and model is not None:
            may_validate = permissions.can(current_user, "organisme", "validate", model)
            changes = organisme_publication.changes(model) if may_validate and model.modifications_a_valider else []
            kwargs.update(organisme_changes=[(ORGANISME_LABELS.get(key, key) if key != "contact_principal"
                                              else "Contact principal", _shown(before), _shown(after))
                                             for _section, key, before, after in changes],
                          pending_for_partners=model.modifications_a_valider and not may_validate)
        return super().render(template, **kwargs)

    @expose("/<id>/valider-modifications", methods=["POST"])
    def validate_changes(self, id):
        """VALIDER LES MODIFICATIONS: partners get the fiche as it is now (documentalistes)."""
        organisme = self.get_one(id)
        if not permissions.can(current_user, "organisme", "validate", organisme):
            abort(403)
        try:
            organisme_publication.validate_changes(db.session, current_user, organisme,
                                                   expected_version=request.form.get("fiche_version"))
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash("Les modifications de la fiche ont été validées : les sites partenaires les reçoivent.", "success")
        return redirect(self.get_url(".edit_view", id=organisme.id))


# The fiche organisme in tabs (templates/admin/organisme_fiche.html): key, title, and the form's fields
# in groups (a legend, or None), as the users' answers name the blocks. "actions" shows the organisme's actions (not
# part of the form). A field of the form that no tab names goes to the first tab: never lost.
FICHE_TABS = (
    ("identite", "Identité", [
        (None, ["raison_sociale", "nom_usuel", "siret", "nda", "uai"]),
        ("Types d'organisme", ["est_organisme_formation", "est_financeur", "est_mediateur", "type_financeur"])]),
    ("adresses", "Adresse et carnet d'adresses", [
        ("Adresse et coordonnées", [*ADDRESS_FIELDS, "telephone", "autre_telephone", "telecopie", "courriel",
                                    "site_internet"]),
        ("Adresse postale", ["adresse_postale_differente", "postale_complement_service",
                             "postale_complement_batiment", "postale_numero_voie", "postale_voie", "postale_lieu_dit",
                             "postale_code_postal", "postale_ville"]),
        ("Carnet d'adresses", ["adresses"])]),
    ("contacts", "Carnet de contacts", [("Carnet de contacts", ["contacts"])]),
    ("actions", "Actions de formation", []),
)
ACTIONS_SHOWN = 20  # the most recently changed; the actions list shows them all


def _has_errors(errors) -> bool:
    """A field's errors, nested for the inline rows (a list of dicts of lists)."""
    if isinstance(errors, dict):
        return any(_has_errors(value) for value in errors.values())
    if isinstance(errors, (list, tuple)):
        return any(_has_errors(value) for value in errors)
    return bool(errors)


def fiche_tabs(form) -> list[dict]:
    """The tabs of the fiche: their groups of fields present in `form`, and whether one of them has an error."""
    present = [f.name for f in form if getattr(f.widget, "input_type", None) != "hidden"]
    placed = {name for _key, _title, groups in FICHE_TABS for _legend, names in groups for name in names}
    tabs = []
    for index, (key, title, groups) in enumerate(FICHE_TABS):
        shown = [(legend, [name for name in names if name in present]) for legend, names in groups]
        if index == 0 and set(present) - placed:
            shown.append((None, [name for name in present if name not in placed]))
        shown = [(legend, names) for legend, names in shown if names]
        tabs.append({"key": key, "title": title, "groups": shown,
                     "error": any(_has_errors(form[name].errors) for _legend, names in shown for name in names)})
    return tabs


def organisme_actions(organisme) -> tuple[list, int]:
    """The organisme's actions the user may see: the ACTIONS_SHOWN last changed, and how many in all."""
    condition = (Action.organisme_id == organisme.id) & permissions.scope_condition(current_user, Action)
    total = db.session.scalar(select(func.count()).select_from(Action).where(condition)) or 0
    rows = db.session.scalars(select(Action).where(condition)
                              .order_by(Action.updated_at.desc(), Action.id.desc()).limit(ACTIONS_SHOWN)).all()
    return rows, total


def _shown(value) -> str:
    """A value of the organisme's published fiche as a person reads it."""
    if isinstance(value, dict):
        return readable.contact_text(value)
    if isinstance(value, bool):
        return readable.oui_non(value)
    return "" if value is None else str(value)


class _CarnetView(CarnetDeleteMixin, ServiceFormMixin, SecureModelView):
    """An organisme's carnet: a row never moves to another organisme (no picker once created)."""

    optimistic_locking = True
    column_details_exclude_list = ["version_id"]
    column_export_exclude_list = ["version_id"]
    form_ajax_refs = {"organisme": {"fields": ["numero", "raison_sociale", "nom_usuel"], "page_size": 20}}
    create_service = save_service = None

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        delattr(form, "organisme")
        return form

    def on_model_change(self, form, model, is_created):
        if is_created:
            return self.call_service(form, type(self).create_service, model)
        return self.call_service(form, type(self).save_service, model)


class AdresseView(_CarnetView):
    """Carnet d'adresses: reusable addresses, also the places of training."""

    resource = "adresse"
    column_list = ["organisme", "libelle", "code_postal", "ville", "code_insee", "departement"]
    column_labels = {**ADRESSE_LABELS, **COMMUNE_LABEL}
    column_descriptions = ADRESSE_DESCRIPTIONS
    column_default_sort = ("libelle", False)
    column_searchable_list = ["libelle", "ville", "code_postal"]
    column_filters = ["code_postal", "ville", "departement"]
    column_select_related_list = [Adresse.organisme, Adresse.departement]
    form_columns = ["organisme", "libelle", *ADDRESS_FIELDS]
    create_service, save_service, delete_service = carnets.create_adresse, carnets.save_adresse, carnets.delete_adresse


class ContactView(_CarnetView):
    """Carnet de contacts. A non-diffusable contact never leaves the back-office."""

    resource = "contact"
    column_list = ["organisme", "nom", "prenom", "fonction", "courriel", "telephone", "diffusable", "principal"]
    column_labels = CONTACT_LABELS
    column_descriptions = CONTACT_DESCRIPTIONS
    column_default_sort = ("nom", False)
    column_searchable_list = ["nom", "prenom", "courriel"]
    column_filters = ["diffusable", "principal"]
    column_select_related_list = [Contact.organisme]
    form_columns = ["organisme", *CONTACT_FIELDS]
    form_args = {"courriel": {"validators": EMAIL}}
    create_service, save_service, delete_service = carnets.create_contact, carnets.save_contact, carnets.delete_contact
