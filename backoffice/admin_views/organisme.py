"""Fiche organisme, carnet d'adresses and carnet de contacts (FAQ section 2)."""
from flask_admin.model.form import InlineFormAdmin
from wtforms.validators import Email, Optional, ValidationError

from .. import rules
from ..extensions import db
from ..models import ETATS_ORGANISME, Adresse, Contact, Departement
from .base import SecureModelView, field_error
from .labels import ADRESSE_DESCRIPTIONS, ADRESSE_LABELS, CONTACT_DESCRIPTIONS, CONTACT_LABELS, ORGANISME_DESCRIPTIONS, ORGANISME_LABELS


def _rule_validator(check):
    """Wrap a rules.validate_* function (None = valid) as a WTForms validator; blank is allowed."""
    def validator(_form, field):
        if field.data in (None, ""):
            return
        message = check(field.data)
        if message:
            raise ValidationError(message)
    return validator


def _postal_code(_form, field):
    value = (field.data or "").strip()
    if value and not (len(value) == 5 and value.isdigit()):
        raise ValidationError("Le code postal doit comporter 5 chiffres.")


ADDRESS_FIELDS = ["pays", "complement_service", "complement_batiment", "numero_voie", "voie", "lieu_dit",
                  "code_postal", "ville"]
EMAIL = [Optional(), Email(message="L'adresse de courriel n'est pas valide.")]


class AdresseInline(InlineFormAdmin):
    form_columns = ["id", "libelle", *ADDRESS_FIELDS]
    column_labels = ADRESSE_LABELS
    column_descriptions = ADRESSE_DESCRIPTIONS
    form_args = {"code_postal": {"validators": [_postal_code]}}


class ContactInline(InlineFormAdmin):
    form_columns = ["id", "nom", "prenom", "fonction", "autre_fonction", "telephone", "mobile", "telecopie",
                    "courriel", "diffusable", "principal"]
    column_labels = CONTACT_LABELS
    column_descriptions = CONTACT_DESCRIPTIONS
    form_args = {"courriel": {"validators": EMAIL}}


def _departement_of_address(adresse: Adresse) -> None:
    """Keep the département of an address in step with its postal code (perimeter rule)."""
    code = rules.departement_of(adresse.code_postal) if adresse.code_postal else None
    departement = db.session.get(Departement, code) if code else None
    adresse.departement_code = departement.code if departement else None
    adresse.region_code = departement.region_code if departement else None


class OrganismeView(SecureModelView):
    resource = "organisme"
    optimistic_locking = True

    column_list = ["numero", "raison_sociale", "nom_usuel", "siret", "code_postal", "ville", "etat", "updated_at"]
    column_labels = ORGANISME_LABELS
    column_descriptions = ORGANISME_DESCRIPTIONS
    column_default_sort = ("updated_at", True)
    column_sortable_list = ["numero", "raison_sociale", "nom_usuel", "updated_at", "etat"]
    column_searchable_list = ["numero", "raison_sociale", "nom_usuel", "siret"]
    column_filters = ["etat", "est_organisme_formation", "est_financeur", "est_mediateur", "code_postal",
                      "type_financeur"]
    column_formatters = {"etat": lambda v, c, m, n: ETATS_ORGANISME.get(m.etat, m.etat),
                         "updated_at": lambda v, c, m, n: m.updated_at.strftime("%d/%m/%Y") if m.updated_at else ""}
    column_details_exclude_list = ["justificatif_path", "version_id"]
    column_export_exclude_list = ["justificatif_path", "version_id"]
    form_columns = [
        "raison_sociale", "nom_usuel", "siret", "nda", "uai",
        "est_organisme_formation", "est_financeur", "est_mediateur", "type_financeur",
        *ADDRESS_FIELDS, "region", "adresse_postale_differente",
        "postale_complement_service", "postale_complement_batiment", "postale_numero_voie", "postale_voie",
        "postale_lieu_dit", "postale_code_postal", "postale_ville",
        "telephone", "autre_telephone", "telecopie", "courriel", "site_internet",
    ]
    form_args = {
        "siret": {"validators": [_rule_validator(rules.validate_siret)], "filters": [lambda v: v.replace(" ", "") if v else v]},
        "nda": {"validators": [_rule_validator(rules.validate_nda)], "filters": [lambda v: v.replace(" ", "") if v else v]},
        "uai": {"validators": [_rule_validator(rules.validate_uai)], "filters": [lambda v: v.strip().upper() if v else v]},
        "code_postal": {"validators": [_postal_code]},
        "postale_code_postal": {"validators": [_postal_code]},
        "courriel": {"validators": EMAIL},
    }
    inline_models = [AdresseInline(Adresse), ContactInline(Contact)]
    form_ajax_refs = {}

    def on_model_change(self, form, model, is_created):
        principals = [c for c in model.contacts if c.principal]
        if len(principals) > 1:
            field_error(form, "contacts", "Un seul contact principal par organisme.")
        for adresse in model.adresses:
            _departement_of_address(adresse)


class AdresseView(SecureModelView):
    """Carnet d'adresses: reusable addresses, also the places of training."""

    resource = "adresse"
    column_list = ["organisme", "libelle", "code_postal", "ville", "departement"]
    column_labels = ADRESSE_LABELS
    column_descriptions = ADRESSE_DESCRIPTIONS
    column_default_sort = ("libelle", False)
    column_searchable_list = ["libelle", "ville", "code_postal"]
    column_filters = ["code_postal", "ville", "departement"]
    column_select_related_list = [Adresse.organisme, Adresse.departement]
    form_columns = ["organisme", "libelle", *ADDRESS_FIELDS]
    form_args = {"code_postal": {"validators": [_postal_code]}}
    form_ajax_refs = {"organisme": {"fields": ["numero", "raison_sociale", "nom_usuel"], "page_size": 20}}

    def on_model_change(self, form, model, is_created):
        _departement_of_address(model)


class ContactView(SecureModelView):
    """Carnet de contacts. A non-diffusable contact never leaves the back-office."""

    resource = "contact"
    column_list = ["organisme", "nom", "prenom", "fonction", "courriel", "telephone", "diffusable", "principal"]
    column_labels = CONTACT_LABELS
    column_descriptions = CONTACT_DESCRIPTIONS
    column_default_sort = ("nom", False)
    column_searchable_list = ["nom", "prenom", "courriel"]
    column_filters = ["diffusable", "principal"]
    column_select_related_list = [Contact.organisme]
    form_columns = ["organisme", "nom", "prenom", "fonction", "autre_fonction", "telephone", "mobile",
                    "telecopie", "courriel", "diffusable", "principal"]
    form_args = {"courriel": {"validators": EMAIL}}
    form_ajax_refs = {"organisme": {"fields": ["numero", "raison_sociale", "nom_usuel"], "page_size": 20}}

    def on_model_change(self, form, model, is_created):
        if model.principal and model.organisme is not None:
            others = [c for c in model.organisme.contacts if c.principal and c is not model]
            if others:
                field_error(form, "principal", "Cet organisme a déjà un contact principal : "
                                               f"{others[0]}. Retirez-le d'abord.")
