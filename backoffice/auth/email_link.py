"""The page behind the link that confirms a new e-mail address (« Mon compte »).

Opening the link shows what will change; the button (a POST, CSRF-protected like every other
change) makes it so. A mail scanner fetching the link changes nothing.
"""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..extensions import db
from ..services import accounts, my_account
from . import bp
from .password import invalid_link_page, settings

CONFIRMED = "Votre adresse de courriel est maintenant {email}. L'ancienne adresse en a été informée."


@bp.route(f"{accounts.EMAIL_LINK_PATH}<token>", methods=["GET", "POST"])
def confirm_email(token):
    pending = my_account.pending_email(db.session, token, settings())
    if pending is None:
        return _invalid_link()
    form = FlaskForm()  # the CSRF token only
    if form.validate_on_submit():
        user, _refused = my_account.confirm_email(db.session, token, settings())
        if user is None:  # used or voided meanwhile (another tab)
            return _invalid_link()
        flash(CONFIRMED.format(email=user.email), "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("mon_compte.index"))
        return redirect(url_for("auth.login"))
    return render_template("auth/confirm_email.html", form=form, user=pending.user, new_email=pending.new_email)


def _invalid_link():
    return invalid_link_page(my_account.LINK_INVALID_EMAIL)
