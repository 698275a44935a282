"""Mot de passe oublié (identifiant + courriel) and the page behind the e-mailed link."""
import time

from flask import current_app, flash, redirect, render_template, url_for

from ..extensions import db
from ..services import accounts
from . import bp
from .forms import ForgotPasswordForm, NewPasswordForm
from .views import answer_after, client_ip

SENT = ("Si l'identifiant et le courriel saisis correspondent à un compte, un courriel contenant un lien "
        "valable 24 heures vient de vous être envoyé. Pensez à vérifier dans vos spams.")


def settings() -> accounts.AccountSettings:
    return accounts.AccountSettings.from_config(current_app.config)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.monotonic()
        accounts.request_password_reset(db.session, form.identifiant.data, form.courriel.data, client_ip(),
                                        settings())
        answer_after(started)
        # the same page, byte for byte, whether or not the account exists
        return render_template("auth/message.html", title="Mot de passe oublié ?", message=SENT)
    return render_template("auth/forgot_password.html", form=form)


@bp.route(f"{accounts.PASSWORD_LINK_PATH}<token>", methods=["GET", "POST"])
def set_password(token):
    row = accounts.find_valid_token(db.session, token, settings())
    if row is None:
        return _invalid_link()
    user = row.user
    activation = row.purpose == "activation"
    form = NewPasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirmation.data:
            form.confirmation.errors.append("Les deux mots de passe saisis sont différents.")
        else:
            user, problem = accounts.set_password(db.session, token, form.password.data, settings())
            if user is None:  # used or voided meanwhile (another tab)
                return _invalid_link()
            if problem is None:
                # the new password also ended any lock (services/accounts.py set_password)
                flash(f"Votre mot de passe est enregistré : connectez-vous avec votre identifiant {user.identifiant}.",
                      "success")
                return redirect(url_for("auth.login"))
            form.password.errors.append(problem)
    return render_template("auth/new_password.html", form=form, user=user, activation=activation)


def _invalid_link():
    return invalid_link_page(accounts.LINK_INVALID, url_for("auth.forgot_password"), "Mot de passe oublié ?")


def invalid_link_page(message: str, link: str | None = None, link_label: str | None = None):
    """The answer to an e-mailed link that can no longer be used (400), whatever the reason."""
    return render_template("auth/message.html", title="Lien expiré ou déjà utilisé", message=message,
                           link=link, link_label=link_label), 400
