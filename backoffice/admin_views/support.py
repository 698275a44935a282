"""Support: find a user, send a password link, unlock, deactivate.

Needs permission "user" / "support". Each act is a POST (CSRF-checked), done
by services.accounts (services.users for deactivation), and leaves an "acte" row in the user's history. Support
staff reach no offer screen: the permissions matrix gives them none.
"""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import History, User
from ..services import accounts, users
from .history import OPERATIONS
from .permission_view import PermissionView


class SupportView(PermissionView):
    """/admin/support/: the support desk."""

    resource = "user"
    verb = "support"

    @expose("/")
    def index(self):
        query = (request.args.get("q") or "").strip()
        users = accounts.find_users(db.session, query) if query else []
        if users:
            ids = [u.id for u in users]
            users = list(db.session.scalars(select(User).where(User.id.in_(ids))
                                            .options(selectinload(User.organismes))
                                            .order_by(User.nom, User.prenom, User.identifiant)))
        return self.render("admin/support.html", q=query, users=users)

    @expose("/<int:user_id>/historique/")
    def history(self, user_id):
        user = self._target(user_id)
        rows = db.session.scalars(select(History).where(History.entity == "users", History.entity_key == str(user.id))
                                  .order_by(History.at.desc(), History.id.desc()).limit(200)).all()
        return self.render("admin/history.html", rows=rows, title=str(user), ops=OPERATIONS,
                           back_url=url_for(".index", q=user.identifiant))

    def _target(self, user_id) -> User:
        user = db.session.get(User, user_id)
        if user is None:
            abort(404)
        return user

    def _back(self):
        return redirect(url_for(".index", q=(request.form.get("q") or "")[:100]))

    @expose("/<int:user_id>/lien/", methods=["POST"])
    def send_link(self, user_id):
        message = accounts.support_send_reset(db.session, self._target(user_id),
                                              accounts.AccountSettings.from_config(current_app.config))
        flash(message, "info")
        return self._back()

    @expose("/<int:user_id>/debloquer/", methods=["POST"])
    def unlock(self, user_id):
        flash(accounts.support_unlock(db.session, self._target(user_id)), "info")
        return self._back()

    @expose("/<int:user_id>/desactiver/", methods=["POST"])
    def deactivate(self, user_id):
        flash(users.deactivate_user(db.session, current_user, self._target(user_id)), "info")
        return self._back()
