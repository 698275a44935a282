"""Optimistic locking of a fiche, and the messages of a save the database refused.

A model with a version_id column (optimistic_locking = True) carries its version in a hidden
field of the edit form: a save from a fiche opened before another user's save is refused, and
what was typed is shown again, never lost.
"""
from flask import flash, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from ..extensions import db

STALE_MESSAGE = ("Cette fiche a été modifiée par un autre utilisateur depuis que vous l'avez ouverte. "
                 "Vos modifications n'ont pas été enregistrées : elles sont conservées ci-dessous. "
                 "Rechargez la fiche pour voir la version actuelle, puis reportez vos modifications.")

INTEGRITY_MESSAGE = ("L'enregistrement a été refusé par la base : une valeur est déjà utilisée par une autre fiche, "
                     "ou une valeur référencée n'existe pas. Vérifiez les champs et réessayez.")


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
        if isinstance(exc, StaleDataError):
            flash(STALE_MESSAGE, "error")
            return True
        if isinstance(exc, IntegrityError):
            # never show SQL to the user; the constraint names say which rule was broken
            flash(INTEGRITY_MESSAGE, "error")
            return True
        return super().handle_view_exception(exc)
