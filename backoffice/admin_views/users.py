"""Utilisateurs (admins create and edit, support looks up) and the read-only list of rôles.

Parse, check the permission, call services.users, render: the account rules live there and in
rules.accounts. The login identifiant is generated at creation, never typed; the password hash
never appears on a screen or in an export (a new user sets a password through the link sent by
the support screens).
"""
from flask import abort, flash
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import StringField
from wtforms.validators import Email

from .. import permissions
from ..extensions import db
from ..models import Role, User
from ..services import users
from ..services.actions import ServiceError
from .action_fields import ServiceFormMixin
from .base import ReadOnlyModelView, SecureModelView
from .referential_labels import USER_DESCRIPTIONS, USER_LABELS

CATEGORY = "Administration"
ROLE_CHOICES = [("organisme", "Organisme de formation"), ("documentaliste", "Documentaliste"),
                ("financeur", "Financeur"), ("support", "Support"), ("admin", "Administrateur")]
VERB_LABELS = {"view": "consulter", "create": "créer", "edit": "modifier", "delete": "supprimer",
               "export": "exporter", "history": "historique", "validate": "valider", "support": "assistance",
               "justificatif": "justificatif"}


class DisplayOnlyField(StringField):
    """A value shown read-only in the form; what the browser posts back is ignored."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("render_kw", {"readonly": True})
        super().__init__(label, **kwargs)

    def populate_obj(self, obj, name):
        pass


class UserView(SecureModelView):
    """Accounts of the five roles; resource "user" (admins edit, support reads)."""

    resource = "user"
    optimistic_locking = True  # two administrators on one account: the second save is refused, nothing lost
    column_list = ["identifiant", "prenom", "nom", "email", "role", "financeur", "actif", "locked_at", "last_login_at"]
    column_details_list = ["identifiant", "prenom", "nom", "email", "role", "financeur", "organismes", "actif",
                           "failed_logins", "locked_at", "password_changed_at", "last_login_at",
                           "created_at", "updated_at", "last_actor"]
    column_export_list = ["identifiant", "prenom", "nom", "email", "role", "financeur", "actif", "locked_at",
                          "last_login_at", "created_at"]
    # belt and braces: never list, show, export or search the secret columns
    column_exclude_list = column_details_exclude_list = column_export_exclude_list = [
        "password_hash", "session_version", "version_id"]
    column_labels = USER_LABELS
    column_descriptions = USER_DESCRIPTIONS
    column_default_sort = ("nom", False)
    column_sortable_list = ["identifiant", "prenom", "nom", "email", "actif", "last_login_at",
                            ("role", "role.libelle")]
    column_searchable_list = ["identifiant", "nom", "prenom", "email"]
    column_filters = [FilterEqual(User.role_code, "Rôle", options=ROLE_CHOICES), "actif", "locked_at",
                      "last_login_at"]
    column_select_related_list = [User.role, User.financeur]
    column_formatters = {
        "locked_at": lambda v, c, m, n: m.locked_at.strftime("%d/%m/%Y %H:%M") if m.locked_at else "",
        "last_login_at": lambda v, c, m, n: m.last_login_at.strftime("%d/%m/%Y %H:%M") if m.last_login_at else "",
    }
    form_columns = ["identifiant_genere", "prenom", "nom", "email", "role", "financeur", "organismes", "actif"]
    form_extra_fields = {"identifiant_genere": DisplayOnlyField(
        "Identifiant", description=USER_DESCRIPTIONS["identifiant_genere"])}
    form_args = {
        "email": {"validators": [Email(message="L'adresse de courriel n'est pas valide.")],
                  "filters": [lambda v: v.strip() if isinstance(v, str) else v]},
        "prenom": {"filters": [lambda v: v.strip() if isinstance(v, str) else v]},
        "nom": {"filters": [lambda v: v.strip() if isinstance(v, str) else v]},
        "role": {"query_factory": lambda: db.session.query(Role).order_by(Role.libelle)},
    }
    form_ajax_refs = {"organismes": {"fields": ["numero", "raison_sociale", "nom_usuel", "siret"], "page_size": 20}}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.identifiant_genere.data = ""
        form.identifiant_genere.render_kw = {"readonly": True, "placeholder": "Généré à l'enregistrement"}
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.identifiant_genere.data = obj.identifiant if obj is not None else ""
        return form

    # Every save goes through services.users, which checks the whole account (names, role and
    # attachments, one's own account) whatever was posted. No autoflush while the form fills the
    # record: the service compares it with what is stored.
    def create_model(self, form):
        with db.session.no_autoflush:
            return super().create_model(form)

    def update_model(self, form, model):
        with db.session.no_autoflush:
            return super().update_model(form, model)

    def on_model_change(self, form, model, is_created):
        ServiceFormMixin.call_service(form, users.create_user if is_created else users.save_user, model)

    def after_model_change(self, form, model, is_created):
        if is_created:
            flash(f"Compte créé avec l'identifiant « {model.identifiant} ». L'utilisateur choisira son mot de "
                  "passe grâce au lien envoyé depuis l'écran du support.", "success")

    def delete_model(self, model):
        """Single and bulk deletes (both call delete_model) through the service."""
        try:
            users.delete_user(db.session, current_user, model)
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            if exc.forbidden:
                abort(403)
            flash(exc.message, "error")
            return False
        except Exception as exc:
            db.session.rollback()
            if not self.handle_view_exception(exc):
                raise
            return False
        return True


def _rights_of(role_code: str) -> str:
    """The permissions matrix read for one role: "organisme : consulter, modifier; ..."."""
    parts = []
    for resource, verbs in permissions.MATRIX.items():
        allowed = [VERB_LABELS.get(v, v) for v, roles in verbs.items() if role_code in roles]
        if allowed:
            parts.append(f"{resource} : {', '.join(allowed)}")
    return "; ".join(parts)


class RoleView(ReadOnlyModelView):
    """The five roles (fixed by schema.sql), with what each may do (permissions.MATRIX)."""

    resource = "user"
    column_display_pk = True
    column_list = ["code", "libelle", "droits"]
    column_details_list = ["code", "libelle", "droits"]
    column_labels = USER_LABELS
    column_descriptions = USER_DESCRIPTIONS
    column_default_sort = ("libelle", False)
    column_formatters = {"droits": lambda v, c, m, n: Markup("<br>").join(
        escape(part) for part in _rights_of(m.code).split("; "))}
    column_formatters_export = {"droits": lambda v, c, m, n: _rights_of(m.code)}
    column_export_list = ["code", "libelle", "droits"]


def add_user_views(admin, db_) -> None:
    """Register Utilisateurs and Rôles under the "Administration" menu."""
    admin.add_view(UserView(User, db_, name="Utilisateurs", endpoint="utilisateurs", category=CATEGORY))
    admin.add_view(RoleView(Role, db_, name="Rôles", endpoint="roles", category=CATEGORY))
