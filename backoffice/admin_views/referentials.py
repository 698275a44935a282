"""Référentiels: seeded code tables, edited by admins, read by documentalists.

Every screen derives from ReferentialView (resource "referential" of the
permissions matrix). A code that other tables point to (région, département,
niveau...) is typed once at creation and read-only afterwards: changing a
primary key would orphan the rows that refer to it. Programmes and dispositifs
have their own menu, GÉRER SES PROGRAMMES (programmes.py, resource "programme").
"""
from flask_admin.contrib.sqla.filters import FilterEqual
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Regexp

from ..models import (
    Certification,
    Departement,
    EtatRecrutement,
    Financeur,
    Formacode,
    Modalite,
    Niveau,
    Nsf,
    Region,
)
from . import form_checks
from .base import SecureModelView
from .referential_labels import DESCRIPTIONS, LABELS

CATEGORY = "Référentiels"


def code_format(pattern: str, message: str):
    """A Regexp validator with a French message (blank values are left to Optional/InputRequired)."""
    return Regexp(pattern, message=message)


def int_range(low: int, high: int, message: str):
    """NumberRange that stays silent when the value did not parse (the field already says why)."""
    check = NumberRange(min=low, max=high, message=message)

    def validator(form, field):
        if field.data is not None:
            check(form, field)
    return validator


def year_range(low: int, high: int):
    return int_range(low, high, f"Indiquez une année entre {low} et {high}.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


class ReferentialView(SecureModelView):
    """A code table: admins create/edit/delete, documentalists read and export."""

    resource = "referential"
    key_fields: tuple[str, ...] = ("code",)  # typed at creation, read-only afterwards
    column_display_pk = True
    page_size = 50
    column_labels = LABELS
    column_descriptions = DESCRIPTIONS
    column_default_sort = ("code", False)
    column_searchable_list = ["code", "libelle"]
    column_list = ["code", "libelle"]
    form_columns = ["code", "libelle"]

    def validate_form(self, form):
        valid = super().validate_form(form)
        return form_checks.blank_required_text(form) & form_checks.unknown_choices(form) & valid

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        for name in self.key_fields:
            if obj is not None and name in form:
                # whatever was posted, the key keeps its stored value
                form[name].data = getattr(obj, name)
                form[name].raw_data = [getattr(obj, name)]
                form[name].render_kw = {**(form[name].render_kw or {}), "readonly": True}
        return form


def _code_args(pattern: str, message: str) -> dict:
    return {"validators": [code_format(pattern, message)], "filters": [_strip]}


def code_table(pattern: str, message: str, name: str = "libelle") -> dict:
    """form_args of a code table: the code's format (French message) and a trimmed label."""
    return {"code": _code_args(pattern, message), name: {"filters": [_strip]}}


class RegionView(ReferentialView):
    column_list = ["code", "nom"]
    form_columns = ["code", "nom"]
    column_searchable_list = ["code", "nom"]
    form_args = code_table(r"^\d{2}$", "Le code région (INSEE) comporte 2 chiffres, par exemple 11.", "nom")


class DepartementView(ReferentialView):
    column_list = ["code", "nom", "region"]
    form_columns = ["code", "nom", "region"]
    column_searchable_list = ["code", "nom"]
    column_filters = ["region"]
    column_select_related_list = [Departement.region]
    form_args = code_table(r"^(\d{2}|2A|2B|97\d)$", "Le code département (INSEE) comporte 2 chiffres (2A/2B pour "
                           "la Corse, 3 chiffres outre-mer), par exemple 75 ou 974.", "nom")


class NiveauView(ReferentialView):
    form_args = code_table(r"^\d{1,2}$", "Le code niveau comporte 1 ou 2 chiffres (table LHEO des niveaux).")


class NsfView(ReferentialView):
    form_args = code_table(r"^\d{3}[a-z]?$",
                           "Le code NSF comporte 3 chiffres, éventuellement suivis d'une lettre (ex. 311 ou 311m).")


class FormacodeView(ReferentialView):
    form_args = code_table(r"^\d{5}$", "Le code Formacode comporte 5 chiffres, par exemple 31854.")


class FinanceurView(ReferentialView):
    form_args = code_table(r"^\d{1,2}$", "Le code financeur comporte 1 ou 2 chiffres (table LHEO des financeurs).")


class EtatRecrutementView(ReferentialView):
    form_args = code_table(r"^\d{1,2}$", "Le code de l'état de recrutement comporte 1 ou 2 chiffres.")


class ModaliteView(ReferentialView):
    """The three LHEO modalités are fixed by the schema: only their libellé may change."""

    key_fields = ("code", "lheo_code")
    column_list = ["code", "libelle", "lheo_code"]
    form_columns = ["code", "libelle", "lheo_code"]
    form_args = {"libelle": {"filters": [_strip]}}

    @property
    def can_create(self):
        return False

    @property
    def can_delete(self):
        return False


ETATS_CERTIFICATION = [("active", "Active"), ("inactive", "Inactive")]
# SelectChoice, not tuples: WTForms 3.3 deprecates tuple choices (Flask-Admin's form_choices still passes tuples)
ETAT_CHOICES = [SelectChoice(code, label) for code, label in ETATS_CERTIFICATION]


class CertificationView(ReferentialView):
    """Certifications (Certif Info): found by RNCP/RS code or title, linked to actions, never typed there."""

    key_fields = ()
    column_list = ["code_rncp", "code_rs", "intitule", "sigle", "niveau", "eligible_cpf", "derniere_session", "etat"]
    form_columns = ["certifinfo", "code_rncp", "code_rs", "intitule", "sigle", "niveau", "eligible_cpf",
                    "premiere_session", "derniere_session", "etat"]
    column_details_list = ["id", *form_columns]
    column_searchable_list = ["code_rncp", "code_rs", "intitule", "sigle"]
    column_filters = ["eligible_cpf", FilterEqual(Certification.etat, "État", options=ETATS_CERTIFICATION),
                      "niveau", "premiere_session", "derniere_session", "certifinfo"]
    column_default_sort = ("intitule", False)
    column_select_related_list = [Certification.niveau]
    column_choices = {"etat": ETATS_CERTIFICATION}
    form_overrides = {"etat": SelectField}
    form_args = {
        "certifinfo": {"validators": [int_range(1, 2_000_000_000, "Le numéro Certif Info est un nombre entier positif.")]},
        "code_rncp": {"validators": [code_format(r"^RNCP\d{1,6}$",
                                                 "Le code RNCP s'écrit RNCP suivi de 1 à 6 chiffres, par exemple RNCP34930.")],
                      "filters": [lambda v: _upper(v) or None]},
        "code_rs": {"validators": [code_format(r"^RS\d{1,6}$",
                                               "Le code RS s'écrit RS suivi de 1 à 6 chiffres, par exemple RS5080.")],
                    "filters": [lambda v: _upper(v) or None]},
        "intitule": {"filters": [_strip]},
        "sigle": {"filters": [lambda v: _strip(v) or None]},
        "etat": {"choices": ETAT_CHOICES},
        "premiere_session": {"validators": [year_range(1970, 2100)]},
        "derniere_session": {"validators": [year_range(1970, 2100)]},
    }

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not hasattr(form, "code_rncp"):
            return valid  # delete form, action form
        if not form.code_rncp.data and not form.code_rs.data:
            form.code_rncp.errors = list(form.code_rncp.errors) + [
                "Indiquez au moins un code : RNCP ou RS (répertoire spécifique)."]
            valid = False
        first, last = form.premiere_session.data, form.derniere_session.data
        if first and last and not form.derniere_session.errors and last < first:
            form.derniere_session.errors = list(form.derniere_session.errors) + [
                "L'année de dernière session ne peut pas précéder celle de la première session."]
            valid = False
        return valid


REFERENTIAL_VIEWS = [
    (RegionView, Region, "Régions", "regions"),
    (DepartementView, Departement, "Départements", "departements"),
    (NiveauView, Niveau, "Niveaux", "niveaux"),
    (NsfView, Nsf, "Domaines NSF", "nsf"),
    (FormacodeView, Formacode, "Formacodes", "formacodes"),
    (FinanceurView, Financeur, "Financeurs", "financeurs"),
    (ModaliteView, Modalite, "Modalités d'enseignement", "modalites"),
    (EtatRecrutementView, EtatRecrutement, "États de recrutement", "etats_recrutement"),
    (CertificationView, Certification, "Certifications", "certifications"),
]


def add_referential_views(admin, db) -> None:
    """Register every referential screen under the "Référentiels" menu."""
    for view_class, model, name, endpoint in REFERENTIAL_VIEWS:
        admin.add_view(view_class(model, db, name=name, endpoint=endpoint, category=CATEGORY))
