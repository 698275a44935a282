"""The public forms (pré-inscription, mot de passe oublié, nouveau mot de passe, contact) and those of
« Mon compte » (mot de passe, courriel).

Field checks only (required, lengths, e-mail syntax), with French messages;
the business rules (SIRET, perimeter, PDF, password policy) live in the
services, which answer per field.
"""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from ..rules.perimeter import JUSTIFICATIF_MAX_TEXT
from ..services.contact import TOPICS
from ..services.password_policy import HINT, MAX_LENGTH

REQUIRED = "Ce champ est obligatoire."
BAD_EMAIL = "L'adresse de courriel n'est pas valide."
OUI_NON = [SelectChoice("oui", "Oui"), SelectChoice("non", "Non")]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label, max_length, required=True, **kwargs):
    validators = [DataRequired(REQUIRED) if required else Optional(),
                  Length(max=max_length, message=f"{max_length} caractères au plus.")]
    return StringField(label, validators=validators, filters=[_strip], **kwargs)


def _email(label, required=True):
    return StringField(label, filters=[_strip], validators=[
        DataRequired(REQUIRED) if required else Optional(), Length(max=254, message="254 caractères au plus."),
        Email(BAD_EMAIL)])


class ForgotPasswordForm(FlaskForm):
    identifiant = _text("Identifiant", 60, description="Ex : fdurant1")
    courriel = _email("Courriel")


class NewPasswordForm(FlaskForm):
    password = PasswordField("Nouveau mot de passe", description=HINT, validators=[
        InputRequired(REQUIRED), Length(max=MAX_LENGTH, message=f"{MAX_LENGTH} caractères au plus.")])
    confirmation = PasswordField("Confirmez le mot de passe", validators=[InputRequired(REQUIRED)])


def _current_password():
    # no length limit here: the stored hash decides, and a refusal must not tell how long it is
    return PasswordField("Mot de passe actuel", validators=[InputRequired(REQUIRED)],
                         render_kw={"autocomplete": "current-password"})


class ChangePasswordForm(FlaskForm):
    """« Mon compte »: the current password, then the new one twice."""
    actuel = _current_password()
    nouveau = PasswordField("Nouveau mot de passe", description=HINT, validators=[
        InputRequired(REQUIRED), Length(max=MAX_LENGTH, message=f"{MAX_LENGTH} caractères au plus.")])
    confirmation = PasswordField("Confirmez le nouveau mot de passe", validators=[InputRequired(REQUIRED)])


class ChangeEmailForm(FlaskForm):
    """« Mon compte »: the new address, confirmed by the current password."""
    courriel = _email("Nouvelle adresse de courriel")
    mot_de_passe = _current_password()


class RegistrationForm(FlaskForm):
    raison_sociale = _text("Raison sociale", 250)
    nom_usuel = _text("Nom usuel", 250, required=False)
    siret = _text("SIRET", 20, description="14 chiffres")
    nda = _text("Numéro de déclaration d'activité", 20, description="11 chiffres")
    numero_voie = _text("Numéro", 10, required=False)
    voie = _text("Type et nom de la voie", 150)
    complement = _text("Complément (immeuble, bâtiment, étage…)", 100, required=False)
    code_postal = _text("Code postal", 10)
    ville = _text("Ville", 100)
    telephone = _text("Téléphone", 30, required=False)
    courriel_organisme = _email("Courriel de l'organisme", required=False)
    prenom = _text("Prénom", 100)
    nom = _text("Nom", 100)
    email = _email("Courriel")
    presentiel_idf = RadioField("Proposez-vous des formations en présentiel en Ile-de-France ?", choices=OUI_NON,
                                validators=[InputRequired("Répondez par oui ou par non.")])
    foad_uniquement = RadioField("Proposez-vous uniquement des formations à distance (FOAD) ?", choices=OUI_NON,
                                 validators=[InputRequired("Répondez par oui ou par non.")])
    justificatif = FileField("Justificatif (organisme situé hors Ile-de-France)", description=(
        "Une convention de formation précisant un lieu de formation en présentiel francilien, anonymisée "
        f"(RGPD), au format PDF et de moins de {JUSTIFICATIF_MAX_TEXT}."))


CONTACT_TOPICS = [SelectChoice(code, label) for code, label in TOPICS.items()]


class ContactForm(FlaskForm):
    sujet = SelectField("Votre question concerne", choices=CONTACT_TOPICS,
                        validators=[InputRequired("Choisissez le sujet de votre message.")])
    nom = _text("Nom et prénom", 200)
    courriel = _email("Courriel")
    organisme = _text("Organisme", 250, required=False)
    message = TextAreaField("Message", filters=[_strip], validators=[
        DataRequired(REQUIRED), Length(max=5000, message="5000 caractères au plus.")])
