"""Organismes de formation en brouillon: the documentalists' queue of pré-inscriptions.

Validate (organisme validé, users activated and e-mailed an activation link)
or refuse (with a reason e-mailed to the organisme's users); download the
registration justification. All three need permission "organisme" /
"validate" or "justificatif" (documentalists), asked of backoffice.permissions.
"""
from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup

from .. import permissions
from ..extensions import db
from ..models import EtatOrganisme, Organisme
from ..services import justificatifs, registrations
from ..services.accounts import AccountSettings
from ..templating import date_fr
from .base import ReadOnlyModelView, scoped_query
from .labels import ORGANISME_LABELS


def justificatif_link(organisme: Organisme):
    """A download link for those who may read the justification, else its name alone (escaped)."""
    if not organisme.justificatif_path:
        return ""
    if not permissions.can(current_user, "organisme", "justificatif", organisme):
        return organisme.justificatif_nom or ""
    url = url_for("preinscriptions.justificatif", id=organisme.id)
    return Markup('<a href="{}" class="justificatif-link">{}</a>').format(url, organisme.justificatif_nom or "justificatif.pdf")


class RegistrationView(ReadOnlyModelView):
    """The brouillon organismes, newest first, with their waiting accounts."""

    resource = "organisme"
    can_view_details = True
    details_template = "admin/registration_details.html"
    column_list = ["numero", "raison_sociale", "siret", "code_postal", "ville", "formation_foad_uniquement",
                   "justificatif_nom", "created_at"]
    column_details_list = ["numero", "raison_sociale", "nom_usuel", "siret", "nda", "numero_voie", "voie",
                           "complement_batiment", "code_postal", "ville", "region", "telephone", "courriel",
                           "formation_foad_uniquement", "justificatif_nom"]
    column_labels = {**ORGANISME_LABELS, "justificatif_nom": "Justificatif", "created_at": "Demande du",
                     "formation_foad_uniquement": "Uniquement FOAD"}
    column_default_sort = ("created_at", True)
    column_searchable_list = ["numero", "raison_sociale", "nom_usuel", "siret"]
    column_formatters = {
        "justificatif_nom": lambda v, c, m, n: justificatif_link(m),
        "created_at": lambda v, c, m, n: date_fr(m.created_at),
        "formation_foad_uniquement": lambda v, c, m, n: "Oui" if m.formation_foad_uniquement else "Non",
    }
    column_formatters_detail = column_formatters

    def _allowed(self, verb: str) -> bool:
        # this screen is the "validate" right; its history links follow the organisme's rights
        return permissions.allowed(current_user, "organisme", "validate" if verb == "view" else verb)

    @property
    def can_export(self):
        return False

    def get_query(self):
        return super().get_query().filter(Organisme.etat == EtatOrganisme.BROUILLON)

    def get_count_query(self):
        return super().get_count_query().filter(Organisme.etat == EtatOrganisme.BROUILLON)

    def pending_users(self, organisme):
        return registrations.pending_users(db.session, organisme)

    def _settings(self):
        return AccountSettings.from_config(current_app.config)

    @expose("/valider/", methods=["POST"])
    def validate(self):
        organisme = self.get_one(request.form.get("id", ""))
        ok, message = registrations.validate_registration(db.session, organisme, self._settings())
        flash(message, "success" if ok else "error")
        return redirect(url_for(".index_view"))

    @expose("/refuser/", methods=["POST"])
    def refuse(self):
        organisme = self.get_one(request.form.get("id", ""))
        ok, message = registrations.refuse_registration(db.session, organisme, request.form.get("motif", ""))
        flash(message, "success" if ok else "error")
        if ok:
            return redirect(url_for(".index_view"))
        return redirect(url_for(".details_view", id=organisme.id))

    @expose("/justificatif/<int:id>")
    def justificatif(self, id):
        """The stored PDF, as a download, for documentalists; 404 for an id without one."""
        organisme = scoped_query(Organisme).filter(Organisme.id == id).first()
        if organisme is None:
            abort(404)
        if not permissions.can(current_user, "organisme", "justificatif", organisme):
            abort(403)
        path = justificatifs.path_of(current_app.config["UPLOAD_FOLDER"], organisme.justificatif_path)
        if path is None:
            abort(404)
        name = justificatifs.clean_filename(organisme.justificatif_nom)
        response = send_file(path, mimetype="application/pdf", as_attachment=True,
                             download_name=name if name.lower().endswith(".pdf") else f"{name}.pdf")
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
