"""Optimistic locking of a fiche, and the messages of a save the database refused.

A model with a version_id column (optimistic_locking = True) carries its version in a hidden
field of the edit form: a save from a fiche opened before another user's save is refused, and
what was typed is shown again, never lost.

Two saves sent at the same moment both pass that check; the database settles which one wins
(services/concurrency.py) and the loser reads a French message: on the form with its typed values
for a save, on the page it came from for any other button of a screen whose service did not say
it first (its blueprint's handler of StaleDataError), never a 500.
"""
from urllib.parse import urlsplit

from flask import flash, redirect, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from ..extensions import db
from ..security import is_local_path
from ..services import concurrency

STALE_MESSAGE = ("Cette fiche a été modifiée par un autre utilisateur depuis que vous l'avez ouverte. "
                 "Vos modifications n'ont pas été enregistrées : elles sont conservées ci-dessous. "
                 "Rechargez la fiche pour voir la version actuelle, puis reportez vos modifications.")
# after a button (not a form): nothing typed to keep
STALE_ACTION_MESSAGE = ("Cette fiche a été modifiée par un autre utilisateur pendant votre opération : elle n'a "
                        "pas été effectuée. Vérifiez la fiche telle qu'elle est maintenant, puis recommencez.")

INTEGRITY_MESSAGE = ("L'enregistrement a été refusé par la base : une valeur est déjà utilisée par une autre fiche, "
                     "ou une valeur référencée n'existe pas. Vérifiez les champs et réessayez.")


def _back_url(fallback: str) -> str:
    """The page the user was on (the request's Referer, when it is a page of this site's own host)."""
    parts = urlsplit(request.referrer or "")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.netloc == request.host and is_local_path(target):
        return target
    return fallback


class LockingMixin:
    optimistic_locking = False  # models with a version_id column

    def scaffold_form(self):
        form_class = super().scaffold_form()
        if self.optimistic_locking:
            form_class.fiche_version = HiddenField()
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if self.optimistic_locking and obj is not None and request.method == "GET":
            form.fiche_version.data = str(obj.version_id)
        return form

    def update_model(self, form, model):
        if not self.optimistic_locking:
            return self._update_model(form, model)
        submitted = form.fiche_version.data
        if not submitted or submitted != str(model.version_id):
            flash(STALE_MESSAGE, "error")
            return False
        # out of the form while it populates the model (no such column), back in afterwards: a form
        # re-shown after a refused save must still carry the version, or its next send is refused
        version_field = form._fields.pop("fiche_version")
        try:
            return self._update_model(form, model)
        finally:
            form._fields["fiche_version"] = version_field

    def _update_model(self, form, model):
        try:
            return super().update_model(form, model)
        except StaleDataError:
            db.session.rollback()
            flash(STALE_MESSAGE, "error")
            return False

    def handle_view_exception(self, exc):
        # Flask-Admin's create, edit and delete call this with the error of their commit, then
        # roll back and show the form again with what was typed
        message = concurrency.refusal(exc, STALE_MESSAGE)
        if message is not None:
            db.session.rollback()
            flash(message, "error")
            return True
        if isinstance(exc, IntegrityError):
            # never show SQL to the user; the constraint names say which rule was broken
            flash(INTEGRITY_MESSAGE, "error")
            return True
        return super().handle_view_exception(exc)

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)
        # other database errors are the application's error pages' (error_pages.py): a blueprint's
        # handler cannot hand an error on to them
        blueprint.register_error_handler(StaleDataError, self.lost_race)
        return blueprint

    def lost_race(self, exc):
        """A button of this screen (not its form) whose write found its record changed since it was
        read: the message on the page the user was on."""
        if request.method in ("GET", "HEAD"):
            raise exc
        db.session.rollback()
        flash(STALE_ACTION_MESSAGE, "error")
        return redirect(_back_url(self.get_url(".index_view")), code=303)
