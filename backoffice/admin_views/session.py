"""Sessions: the list of every session in scope, and the session fiche (the action's SESSION tab).

A session is created from its action's SESSION tab (CREER, `?action_id=`), never moved to
another action. Its fiche holds the LHEO content of the session in blocks (FIELDSETS): dates known
to the day, the month or the year; the place, inscription and information addresses and the
contact from the organisme's carnets (ajax pickers); prices in euros; the inscription period
and information dates; the funders as inline rows; the subcontracting organisme. Saving goes
through services.sessions, which enforces every business rule (rules.check_session_content
among them) and the programme's lock of contractual fields; locked fields are also shown
read-only to organisme users.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.form.widgets import Select2Widget
from flask_admin.model.form import InlineFormAdmin
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional
from wtforms.widgets import NumberInput

from .. import permissions
from .. import workflow as W
from ..extensions import db
from ..models import Action, Adresse, Contact, Dispositif, Financeur, Session, SessionFinanceur
from ..security import is_local_path
from ..services import actions as action_services
from ..services import sessions as services
from ..services.mail import team_address
from . import readable
from .action_fields import (
    AnneesField,
    EurosField,
    FinanceurRowsConverter,
    HoursField,
    LheoDateField,
    LheoDatesField,
    NiveauBacField,
    OrganismeBookLoader,
    PartialDateField,
    ServiceFormMixin,
    narrow_to_organisme,
)
from .base import FrenchForm, SecureModelView, request_rows, scoped_query
from .labels import SESSION_DESCRIPTIONS, SESSION_LABELS
from .list_filters import session_filters

FIELDSETS = [
    ("Dates et lieu", ["date_debut", "date_fin", "lieu", "adresse_inscription", "adresse_information"]),
    ("Modalité d'organisation et durée", ["duree_totale", "heures_centre", "heures_entreprise", "modalite",
                                          "dispositif", "rythme_formation", "modalites_alternance"]),
    ("Apprentissage", list(services.APPRENTISSAGE_FIELDS)),
    ("Inscription et recrutement", ["etat_recrutement", "modalites_inscription", "inscription_debut",
                                    "inscription_fin", "dates_information"]),
    ("Prix et financement", ["prix_total_ttc", "prix_horaire_ttc", "frais_restants", "detail_prise_en_charge",
                             "financeurs"]),
    ("Contact et sous-traitance", ["contact", "url_session", "formateur_siret", "formateur_raison_sociale",
                                   "formateur_uai"]),
]
FORM_COLUMNS = [name for _legend, names in FIELDSETS for name in names]
# Mandatory to SOUMETTRE the action (not to save the session): marked * like the action's.
MANDATORY_FIELDS = {"rythme_formation"}
COPY_MESSAGE = ("Copie de la session {numero} : indiquez ses dates puis enregistrez-la. "
                "Rien n'est enregistré avant.")
NO_ACTION = "Une session se crée depuis l'onglet SESSION de son action de formation (bouton CREER)."
ADDRESS_SEARCH, CONTACT_SEARCH = ["libelle", "code_postal", "ville"], ["nom", "prenom", "courriel"]
BOOK_PICKERS = {  # ajax pickers in the organisme's carnets: field -> (model, searched columns, placeholder)
    "lieu": (Adresse, ADDRESS_SEARCH, "Libellé, code postal ou ville (carnet d'adresses de l'organisme)"),
    "adresse_inscription": (Adresse, ADDRESS_SEARCH, "Identique au lieu de formation, ou cherchez dans le carnet"),
    "adresse_information": (Adresse, ADDRESS_SEARCH, "Identique au lieu de formation, ou cherchez dans le carnet"),
    "contact": (Contact, CONTACT_SEARCH, "Contact de la formation, ou cherchez dans le carnet de contacts"),
}
OPTIONAL = {"validators": [Optional()]}


def _postal(view, context, model, name):
    return model.lieu.code_postal if model.lieu else ""


class FinanceurInline(InlineFormAdmin):
    """A row of the session's funders: a financeur of the LHEO table and its funded places."""

    form_base_class = FrenchForm
    form_columns = ("financeur", "nb_places")
    column_labels = {"financeur": SESSION_LABELS["financeur"], "nb_places": SESSION_LABELS["nb_places"]}
    column_descriptions = {"financeur": SESSION_DESCRIPTIONS["financeur"],
                           "nb_places": SESSION_DESCRIPTIONS["nb_places"]}

    def postprocess_form(self, form_class):
        # a select of the LHEO table read once per request, with a blank first choice: a row added
        # and left as it is asks for its financeur rather than silently naming the table's first one
        # (the places are declared after it: a row reads financeur, then places)
        form_class.financeur = QuerySelectField(
            self.column_labels["financeur"], description=self.column_descriptions["financeur"],
            query_factory=lambda: request_rows(Financeur), allow_blank=True, blank_text="—",
            validators=[DataRequired("Choisissez le financeur.")], widget=Select2Widget())
        form_class.nb_places = IntegerField(
            self.column_labels["nb_places"], description=self.column_descriptions["nb_places"],
            validators=[Optional(), NumberRange(min=0, message="Nombre positif ou nul.")], widget=NumberInput(min=0))
        form_class.financeur_code = HiddenField()  # the stored row's code: FinanceurRows' "Supprimer ?"
        return form_class


READABLE = {  # how a session field reads (details view, the action's print view)
    "date_debut": lambda m: readable.french_date(m.date_debut, m.debut_precision),
    "date_fin": lambda m: readable.french_date(m.date_fin, m.fin_precision),
    **{name: lambda m, n=name: readable.address_text(getattr(m, n))
       for name in ("lieu", "adresse_inscription", "adresse_information")},
    "contact": lambda m: readable.contact_text(m.contact),
    **{name: lambda m, n=name: readable.euros(getattr(m, n)) for name in ("prix_total_ttc", "prix_horaire_ttc")},
    **{name: lambda m, n=name: readable.french_dates(getattr(m, n))
       for name in ("inscription_debut", "inscription_fin", "dates_information")},
    "financeurs": lambda m: readable.financeurs_text(m.financeurs),
    **{name: lambda m, n=name: readable.hours(getattr(m, n)) for name in ("duree_totale", "heures_centre",
                                                                          "heures_entreprise")},
    "archivee": lambda m: readable.oui_non(m.archivee),
    "niveau_bac": lambda m: dict(NiveauBacField.CHOICES).get(m.niveau_bac or "", ""),
}


def session_value(model, name: str) -> str:
    """A field of a session as text."""
    if name in READABLE:
        return READABLE[name](model)
    value = getattr(model, name, None)
    return "" if value is None else str(value)


class SessionView(ServiceFormMixin, SecureModelView):
    resource = "session"
    optimistic_locking = True
    create_template = "admin/session_form.html"
    edit_template = "admin/session_form.html"

    column_list = ["numero", "action", "date_debut", "date_fin", "code_postal", "duree_totale", "archivee"]
    column_labels = {**SESSION_LABELS, "action.numero": "Action (identifiant)", "archivee": "Archivée"}
    column_descriptions = SESSION_DESCRIPTIONS
    column_default_sort = ("date_debut", True)
    # every sort and filter through an index (list_filters.py, bench/bench_search.py); Archivée is a
    # filter, not a sort (a sort of 1,200,000 rows on two values tells nothing)
    column_sortable_list = ["numero", "date_debut", "date_fin", "duree_totale"]
    column_searchable_list = ["numero", "action.numero", "action.intitule"]
    column_filters = session_filters()
    column_select_related_list = [Session.action, Session.lieu]
    list_load_only = ("numero", "date_debut", "debut_precision", "date_fin", "fin_precision", "duree_totale",
                      "archivee", "action.numero", "lieu.code_postal")
    column_formatters = {
        "code_postal": _postal,
        "action": lambda v, c, m, n: m.action.numero if m.action else "",
        "date_debut": lambda v, c, m, n: readable.french_date(m.date_debut, m.debut_precision),
        "date_fin": lambda v, c, m, n: readable.french_date(m.date_fin, m.fin_precision),
        "duree_totale": lambda v, c, m, n: readable.hours(m.duree_totale),
        "archivee": lambda v, c, m, n: "Oui" if m.archivee else "Non",
    }
    form_ajax_refs = {name: {"fields": searched, "page_size": 20, "placeholder": placeholder}
                      for name, (_model, searched, placeholder) in BOOK_PICKERS.items()}
    column_details_list = ["action", *FORM_COLUMNS, "archivee"]  # the header shows the numero and dates
    column_formatters_detail = {name: (lambda v, c, m, n: session_value(m, n)) for name in READABLE}
    column_export_exclude_list = ["version_id"]
    # what the fiche and its details read, in the record's own statement (+ one for the funders)
    fiche_eager_load = ("action.organisme", "action.programme", "lieu", "adresse_inscription",
                        "adresse_information", "contact", "dispositif", "modalite", "etat_recrutement", "financeurs")

    form_columns = FORM_COLUMNS
    inline_models = [FinanceurInline(SessionFinanceur)]
    inline_model_form_converter = FinanceurRowsConverter
    form_overrides = {"date_debut": PartialDateField, "date_fin": PartialDateField, "duree_totale": HoursField,
                      "heures_centre": HoursField, "heures_entreprise": HoursField,
                      "annees_apprentissage": AnneesField, "niveau_bac": NiveauBacField,
                      "prix_total_ttc": EurosField, "prix_horaire_ttc": EurosField,
                      "inscription_debut": LheoDateField, "inscription_fin": LheoDateField,
                      "dates_information": LheoDatesField, "detail_prise_en_charge": TextAreaField}
    form_args = {
        **{name: {"label": SESSION_LABELS[name] + " *"} for name in MANDATORY_FIELDS},
        "date_debut": {"validators": [InputRequired("La date de début est obligatoire.")],
                       "bound": "first", "precision_attr": "debut_precision"},
        "date_fin": {"validators": [InputRequired("La date de fin est obligatoire.")],
                     "bound": "last", "precision_attr": "fin_precision"},
        **{name: OPTIONAL for name in ("prix_total_ttc", "prix_horaire_ttc", "inscription_debut", "inscription_fin",
                                       "dates_information")},
        "formateur_siret": {"filters": [lambda v: "".join(v.split()) if v else v]},
        "formateur_uai": {"filters": [lambda v: "".join(v.split()).upper() if v else v]},
        "financeurs": {"label": SESSION_LABELS["financeur"]},
        "duree_totale": {"validators": [InputRequired("La durée totale (heures) est obligatoire.")]},
        "heures_centre": {"validators": [Optional()]},
        "heures_entreprise": {"validators": [Optional()]},
        "modalite": {"validators": [DataRequired("La modalité est obligatoire.")]},
        "dispositif": {"validators": [DataRequired("Le dispositif est obligatoire.")], "blank_text": "—"},
        "lieu": {"blank_text": "— (aucun : formation à distance)"},
        "etat_recrutement": {"validators": [DataRequired("L'état du recrutement est obligatoire.")]},
        "duree_cycle": {"validators": [Optional(), NumberRange(1, 5, "La durée du cycle va de 1 à 5 ans.")]},
        "unites_centre": {"validators": [Optional(), NumberRange(min=0, message="Nombre positif ou nul.")]},
        "unites_entreprise": {"validators": [Optional(), NumberRange(min=0, message="Nombre positif ou nul.")]},
        "annees_apprentissage": {"validators": [Optional()]},
        "niveau_bac": {"validators": [Optional()]},
    }

    def _create_ajax_loader(self, name, options):
        if name in BOOK_PICKERS:
            return OrganismeBookLoader(name, db.session, BOOK_PICKERS[name][0], **options)
        return super()._create_ajax_loader(name, options)

    # ------------------------------------------------------------------ which action
    def parent_action(self, model=None):
        """The session's action: its own, or ?action_id= for a new one (scoped: 404 outside)."""
        if model is not None and model.action is not None:
            return model.action
        action_id = request.values.get("action_id", type=int)
        if action_id is None:
            return None
        action = scoped_query(Action).filter(Action.id == action_id).first()
        if action is None:
            abort(404)
        return action

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if self.parent_action() is None:
            flash(NO_ACTION, "warning")
            return redirect(self.get_url("actions.index_view"))
        return super().create_view()

    # ------------------------------------------------------------------ forms
    def _adapt_form(self, form, action, model=None):
        """Addresses and contacts from the action's organisme's carnets only; dates shown with their
        precision; locked fields read-only for this user."""
        for name in BOOK_PICKERS:
            narrow_to_organisme(self, form[name], action.organisme_id if action is not None else None)
        if model is not None:  # a date not typed in this request shows with the precision it has
            for field, precision in ((form.date_debut, model.debut_precision), (form.date_fin, model.fin_precision)):
                if not field.raw_data:
                    field.precision = precision
        if action is not None:
            for name in services.lock_policy(current_user, action):
                if name in form:
                    form[name].render_kw = {**(form[name].render_kw or {}), "readonly": True}
                    form[name].description = "Donnée contractuelle : modifiable par l'équipe du CARIF uniquement."
        return form

    def create_form(self, obj=None):
        action = self.parent_action()
        model_id = request.args.get("modele", type=int)
        if obj is None and request.method == "GET" and model_id is not None and action is not None:
            obj = self._copy_of(model_id, action)
        return self._adapt_form(super().create_form(obj), action)

    def _copy_of(self, model_id: int, action):
        """The undated copy of a session of `action` (DUPLIQUER), to pre-fill the creation form."""
        sess = scoped_query(Session).filter(Session.id == model_id, Session.action_id == action.id).first()
        if sess is None:
            abort(404)
        try:
            return services.duplicate_session(db.session, current_user, sess)
        except (action_services.ServiceError, W.WorkflowError) as exc:
            db.session.rollback()
            abort(403, exc.message)

    def edit_form(self, obj=None):
        return self._adapt_form(super().edit_form(obj), self.parent_action(obj), obj)

    def fieldsets(self, form):
        return [(legend, [form[n] for n in names if n in form]) for legend, names in FIELDSETS]

    def render(self, template, **kwargs):
        if template == self.edit_template:
            model = kwargs.get("model")
            action = self.parent_action(model)
            read_only = action is not None and W.is_read_only_for(
                action_services.state_of(action), action_services.workflow_actor(current_user, action))
            kwargs.update(action=action, locked_message=W.locked_message(team_address()) if read_only else None, fieldsets=self.fieldsets(kwargs["form"]) if kwargs.get("form") else [],
                          history_url=self.history_url(model) if model is not None else None,
                          back_url=self.back_url(action),
                          apprentissage_ids=[str(i) for i in db.session.scalars(
                              select(Dispositif.id).where(Dispositif.apprentissage.is_(True)))])
        return super().render(template, **kwargs)

    # ------------------------------------------------------------------ saving
    def on_model_change(self, form, model, is_created):
        if is_created:
            return self.call_service(form, services.create_session, self.parent_action(), model)
        return self.call_service(form, services.save_session, model)

    def back_url(self, action) -> str:
        """Where the session screens lead back: the list given in url=, else the action's SESSION tab."""
        target = request.values.get("url")
        if target and is_local_path(target):
            return target
        if action is not None and action.id is not None:
            endpoint = "actions.edit_view" if permissions.allowed(current_user, "action", "edit") else "actions.details_view"
            return self.get_url(endpoint, id=action.id, onglet="session")
        return self.get_url(".index_view")

    def get_save_return_url(self, model, is_created=False):
        return self.back_url(model.action)

    # ------------------------------------------------------------------ list buttons
    @expose("/<id>/archiver", methods=["POST"])
    def archive(self, id):
        """Archiver (or désarchiver, archivee=0) a session from the SESSION tab."""
        return self._button(id, lambda s: services.archive_session(
            db.session, current_user, s, archived=request.form.get("archivee", "1") != "0"),
            "La session a été archivée." if request.form.get("archivee", "1") != "0" else "La session a été désarchivée.")

    @expose("/<id>/dupliquer", methods=["POST"])
    def duplicate(self, id):
        """Dupliquer a session: the creation form pre-filled with its copy, without its dates
        (services.sessions.duplicate_session); nothing is saved before CREER."""
        sess = self.get_one(id)  # 404 outside the user's scope
        try:
            services.duplicate_session(db.session, current_user, sess)
        except (action_services.ServiceError, W.WorkflowError) as exc:
            db.session.rollback()
            if getattr(exc, "forbidden", False):
                abort(403, exc.message)
            flash(exc.message, "error")
            return redirect(self.back_url(sess.action))
        flash(COPY_MESSAGE.format(numero=sess.numero), "info")
        return redirect(self.get_url(".create_view", action_id=sess.action_id, modele=sess.id,
                                     url=request.form.get("url")))

    def _button(self, id, change, done: str):
        sess = self.get_one(id)  # 404 outside the user's scope
        if not permissions.can(current_user, "session", "edit", sess):
            abort(403)
        try:
            change(sess)
        except action_services.ServiceError as exc:
            db.session.rollback()
            if exc.forbidden:
                abort(403, exc.message)
            flash(exc.message, "error")
        except W.WorkflowError as exc:  # e.g. an OF on an Inactif action: nothing changed
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(done, "success")
        return redirect(self.back_url(sess.action))
