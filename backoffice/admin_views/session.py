"""Sessions: the list of every session in scope, and the session fiche (FAQ: onglet SESSION).

A session is created from its action's SESSION tab (CREER, `?action_id=`), never moved to
another action. Saving goes through services.sessions, which enforces dates, hours, the
training place and its perimeter, the apprenticeship fields and the programme's lock of
contractual fields; locked fields are also shown read-only to organisme users.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from .. import permissions, workflow as W
from ..extensions import db
from ..models import Action, Adresse, Dispositif, Session
from ..security import is_local_path
from ..services import actions as action_services
from ..services import sessions as services
from .action_fields import (AnneesField, DateFrField, HoursField, NiveauBacField, OrganismeBookLoader,
                            ServiceFormMixin, narrow_to_organisme)
from .base import SecureModelView, scoped_query
from .labels import SESSION_DESCRIPTIONS, SESSION_LABELS

FIELDSETS = [
    ("Dates et lieu", ["date_debut", "date_fin", "lieu"]),
    ("Modalité d'organisation et durée", ["duree_totale", "heures_centre", "heures_entreprise", "modalite",
                                          "dispositif"]),
    ("Apprentissage", list(services.APPRENTISSAGE_FIELDS)),
    ("Recrutement", ["etat_recrutement"]),
]
FORM_COLUMNS = [name for _legend, names in FIELDSETS for name in names]
NO_ACTION = "Une session se crée depuis l'onglet SESSION de son action de formation (bouton CREER)."


def _postal(view, context, model, name):
    return model.lieu.code_postal if model.lieu else ""


class SessionView(ServiceFormMixin, SecureModelView):
    resource = "session"
    optimistic_locking = True
    create_template = "admin/session_form.html"
    edit_template = "admin/session_form.html"

    column_list = ["numero", "action", "date_debut", "date_fin", "code_postal", "duree_totale", "archivee"]
    column_labels = {**SESSION_LABELS, "action.numero": "Action (identifiant)", "archivee": "Archivée"}
    column_descriptions = SESSION_DESCRIPTIONS
    column_default_sort = ("date_debut", True)
    column_sortable_list = ["numero", "date_debut", "date_fin", "duree_totale", "archivee"]
    column_searchable_list = ["numero", "action.numero", "action.intitule"]
    column_filters = ["archivee", "date_debut", "date_fin", "dispositif", "modalite", "action.numero"]
    column_select_related_list = [Session.action, Session.lieu]
    list_load_only = ("numero", "date_debut", "date_fin", "duree_totale", "archivee", "action.numero",
                      "lieu.code_postal")
    column_formatters = {
        "code_postal": _postal,
        "action": lambda v, c, m, n: m.action.numero if m.action else "",
        "date_debut": lambda v, c, m, n: m.date_debut.strftime("%d/%m/%Y") if m.date_debut else "",
        "date_fin": lambda v, c, m, n: m.date_fin.strftime("%d/%m/%Y") if m.date_fin else "",
        "archivee": lambda v, c, m, n: "Oui" if m.archivee else "Non",
    }
    form_ajax_refs = {"lieu": {"fields": ["libelle", "code_postal", "ville"], "page_size": 20,
                               "placeholder": "Libellé, code postal ou ville (carnet d'adresses de l'organisme)"}}
    column_details_exclude_list = ["version_id"]
    column_export_exclude_list = ["version_id"]

    form_columns = FORM_COLUMNS
    form_overrides = {"date_debut": DateFrField, "date_fin": DateFrField, "duree_totale": HoursField,
                      "heures_centre": HoursField, "heures_entreprise": HoursField,
                      "annees_apprentissage": AnneesField, "niveau_bac": NiveauBacField}
    form_args = {
        "date_debut": {"validators": [InputRequired("La date de début est obligatoire.")]},
        "date_fin": {"validators": [InputRequired("La date de fin est obligatoire.")]},
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
        if name == "lieu":
            return OrganismeBookLoader(name, db.session, Adresse, **options)
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
        """Places from the action's organisme only; locked fields read-only for this user."""
        narrow_to_organisme(self, form.lieu, action.organisme_id if action is not None else None)
        if action is not None:
            for name in services.lock_policy(current_user, action):
                if name in form:
                    form[name].render_kw = {**(form[name].render_kw or {}), "readonly": True}
                    form[name].description = "Donnée contractuelle : modifiable par l'équipe du CARIF uniquement."
        return form

    def create_form(self, obj=None):
        return self._adapt_form(super().create_form(obj), self.parent_action())

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
            kwargs.update(action=action, locked_message=W.LOCKED_MESSAGE if read_only else None, fieldsets=self.fieldsets(kwargs["form"]) if kwargs.get("form") else [],
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
        """Dupliquer a session: a copy with a new SE_ number."""
        return self._button(id, lambda s: services.duplicate_session(db.session, current_user, s),
                            "La session a été dupliquée.")

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
