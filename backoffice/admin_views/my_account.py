"""« Mon compte »: every logged-in user, whatever the role, sees their own account and changes
their password or e-mail address (the new address is taken once the link sent to it is opened:
auth/email_link.py).

Only the logged-in user's own record is ever read or written: no route takes a user id. The
organismes are shown, not chosen (attaching one is the team's job). Forms check the fields,
services.my_account decides and writes.
"""
from flask import current_app, flash, redirect, request, session, url_for
from flask_admin import BaseView, expose
from flask_login import current_user, login_user, logout_user

from ..auth.forms import ChangeEmailForm, ChangePasswordForm
from ..auth.views import client_ip
from ..extensions import db
from ..services import my_account
from ..services.accounts import AccountSettings

PASSWORD_CHANGED = ("Votre mot de passe est modifié. Vos autres connexions (autres navigateurs, autres postes) "
                    "sont fermées ; un courriel de confirmation vous a été envoyé.")
EMAIL_LINK_SENT = ("Un lien de confirmation, valable 24 heures, a été envoyé à {email}. Votre adresse reste "
                   "{current} tant que vous ne l'avez pas ouvert.")
LOCKED = ("Votre compte est temporairement bloqué après plusieurs mots de passe incorrects. Pour le "
          "débloquer tout de suite, choisissez un nouveau mot de passe avec « Mot de passe oublié ? » ; "
          "sinon, attendez la fin du blocage indiquée dans le courriel qui vous a été envoyé.")


class MyAccountView(BaseView):
    """/admin/compte/: open to every logged-in user; the login page for a visitor."""

    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        return self._page()

    @expose("/mot-de-passe/", methods=["POST"])
    def change_password(self):
        form, user = ChangePasswordForm(), current_user._get_current_object()
        refused = self._refused(form, "password_form", lambda: my_account.change_password(
            db.session, user, form.actuel.data, form.nouveau.data, form.confirmation.data, client_ip()))
        if refused is not None:
            return refused
        # the bumped session version voids this cookie too: a new session, as at log-in, keeps
        # this browser in while every other one is out
        session.clear()
        login_user(user)
        flash(PASSWORD_CHANGED, "success")
        return redirect(url_for(".index"))

    @expose("/courriel/", methods=["POST"])
    def change_email(self):
        form, user = ChangeEmailForm(), current_user._get_current_object()
        refused = self._refused(form, "email_form", lambda: my_account.change_email(
            db.session, user, form.courriel.data, form.mot_de_passe.data, client_ip(),
            AccountSettings.from_config(current_app.config)))
        if refused is not None:
            return refused
        flash(EMAIL_LINK_SENT.format(email=form.courriel.data.strip(), current=user.email), "success")
        return redirect(url_for(".index"))

    def _refused(self, form, form_name: str, change):
        """None once the form is valid and change() (-> {field: message}) succeeded; else the
        page with the form as typed and its messages, or the login page if the account got locked."""
        if form.validate_on_submit():
            errors = change()
            if not errors:
                return None
            if not current_user.is_active:
                return self._locked_out()
            for name, message in errors.items():
                form[name].errors = list(form[name].errors) + [message]
        return self._page(**{form_name: form})

    def _page(self, password_form=None, email_form=None):
        # the form not being submitted is shown empty, not filled with the other one's post
        return self.render("admin/my_account.html", user=current_user,
                           password_form=password_form or ChangePasswordForm(formdata=None),
                           email_form=email_form or ChangeEmailForm(formdata=None))

    @staticmethod
    def _locked_out():
        """The wrong password that locked the account: out now, as the next request would be."""
        logout_user()
        session.clear()
        flash(LOCKED, "error")
        return redirect(url_for("auth.login"))

