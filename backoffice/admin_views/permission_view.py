"""The base of the plain (non-model) screens: dashboard, organisme search, support, supervision."""
from flask import abort, redirect, request, url_for
from flask_admin import BaseView
from flask_login import current_user

from .. import permissions


class PermissionView(BaseView):
    """A screen open to the roles permissions.allowed(user, resource, verb) admits; hidden from the
    menu of the others; 403 for a logged-in user it refuses, the login page for a visitor."""

    resource = ""
    verb = "view"

    def is_accessible(self):
        return permissions.allowed(current_user, self.resource, self.verb)

    def is_visible(self):
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)
