"""Contactez-nous: the team's mailboxes (config TEAM_MAILBOXES) and the contact form, public and in every
logged-in user's menu (admin_views/__init__.py); services/contact.py routes the message."""
from flask import current_app, render_template
from flask_login import current_user

from ..extensions import db
from ..services.contact import TOPICS, send_contact_message
from . import bp
from .forms import ContactForm
from .views import client_ip

SENT = "Votre message a bien été transmis à l'équipe du CARIF francilien. Nous vous répondrons par courriel."


@bp.route("/contact", methods=["GET", "POST"])
def contact():
    form = ContactForm()
    if not form.is_submitted() and current_user.is_authenticated:
        form.nom.data = f"{current_user.prenom} {current_user.nom}"
        form.courriel.data = current_user.email
        form.organisme.data = ", ".join(o.nom for o in current_user.organismes)
    refusal = None
    if form.validate_on_submit():
        refusal = send_contact_message(
            db.session, current_app.config["TEAM_MAILBOXES"], form.sujet.data, form.nom.data, form.courriel.data,
            form.organisme.data or "", form.message.data, client_ip(),
            current_user.identifiant if current_user.is_authenticated else None)
        if refusal is None:
            return render_template("auth/message.html", title="Message envoyé", message=SENT)
    mailboxes = current_app.config["TEAM_MAILBOXES"]
    shown = [(label, mailboxes[topic]) for topic, label in TOPICS.items() if mailboxes.get(topic)]
    return render_template("auth/contact.html", form=form, refusal=refusal, mailboxes=shown)
