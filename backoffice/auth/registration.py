"""Pré-inscription: the public form (services/registrations.py does the work)."""
from flask import flash, render_template

from .. import rules
from ..extensions import db
from ..services import registrations
from . import bp
from .forms import RegistrationForm
from .password import settings
from .views import client_ip

DONE = ("Votre demande de pré-inscription est enregistrée. Les documentalistes du CARIF francilien vont "
        "l'examiner : après validation, vous recevrez par courriel votre identifiant et un lien pour choisir "
        "votre mot de passe.")


def _read_upload(storage) -> tuple[bytes | None, str | None]:
    """At most one byte past the limit: enough to refuse a big file without holding it all."""
    if storage is None or not getattr(storage, "filename", None):
        return None, None
    return storage.stream.read(rules.JUSTIFICATIF_MAX_BYTES + 1), storage.filename


def _registration(form: RegistrationForm) -> registrations.Registration:
    values = {name: form[name].data or "" for name in (
        "raison_sociale", "nom_usuel", "siret", "nda", "numero_voie", "voie", "complement", "code_postal",
        "ville", "telephone", "courriel_organisme", "prenom", "nom", "email")}
    return registrations.Registration(**values, presentiel_idf=form.presentiel_idf.data == "oui",
                                      foad_uniquement=form.foad_uniquement.data == "oui")


@bp.route("/inscription", methods=["GET", "POST"])
def register():
    form = RegistrationForm()
    refusal = None
    if form.validate_on_submit():
        pdf, pdf_name = _read_upload(form.justificatif.data)
        outcome = registrations.preregister(db.session, _registration(form), pdf, pdf_name, settings(), client_ip())
        if not outcome.errors:
            if outcome.notice:
                flash(outcome.notice, "info")
            return render_template("auth/message.html", title="Pré-inscription enregistrée", message=DONE)
        refusal = outcome.errors.pop("__all__", None)
        for name, message in outcome.errors.items():
            form[name].errors = list(form[name].errors) + [message]
        kept_back = form.justificatif.data and outcome.in_region is not True  # a PDF is asked outside the region
        if kept_back and "justificatif" not in outcome.errors and not refusal:
            form.justificatif.errors = ["Joignez à nouveau le justificatif : un fichier n'est pas conservé "
                                        "quand le formulaire contient une erreur."]
    return render_template("auth/register.html", form=form, refusal=refusal,
                           carif_oref_url=rules.CARIF_OREF_MAP_URL)
