"""History: the per-fiche history page and the documentalists' global journal."""
from flask import abort, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import History
from .base import ReadOnlyModelView

OPERATIONS = {"insert": "Création", "update": "Modification", "delete": "Suppression",
              "transition": "Changement d'état", "acte": "Acte"}


class RecordHistoryView(BaseView):
    """/admin/historique/<endpoint>/<id>: the history of one record, if the user may see it."""

    def is_visible(self):
        return False

    def is_accessible(self):
        return current_user.is_authenticated

    @expose("/")
    def index(self):
        abort(404)

    @expose("/<view>/<id>")
    def record(self, view, id):
        endpoint = view
        view = next((v for v in self.admin._views if getattr(v, "endpoint", None) == endpoint), None)
        if view is None or not hasattr(view, "history_url"):
            abort(404)
        if not view.is_accessible() or not view._allowed("history"):
            abort(403)
        model = view.get_one(id)  # scoped: 404 outside the user's scope
        rows = db.session.scalars(
            select(History).where(History.entity == model.__tablename__,
                                  History.entity_key == str(view.get_pk_value(model)))
            .order_by(History.at.desc(), History.id.desc())
        ).all()
        back_url = url_for(f"{endpoint}.details_view", id=view.get_pk_value(model))
        return self.render("admin/history.html", rows=rows, title=str(model), ops=OPERATIONS, back_url=back_url)


class HistoryJournalView(ReadOnlyModelView):
    """Every change of the base, newest first, for documentalists and admins."""

    resource = "history"
    can_view_details = False
    column_list = ["at", "actor_label", "entity", "numero", "op", "field", "old_value", "new_value", "message"]
    column_labels = {"at": "Date", "actor_label": "Utilisateur", "entity": "Table", "numero": "Fiche",
                     "op": "Opération", "field": "Champ", "old_value": "Ancienne valeur",
                     "new_value": "Nouvelle valeur", "message": "Message"}
    column_default_sort = ("at", True)
    column_searchable_list = ["numero", "actor_label"]
    column_filters = ["entity", "op", "actor_label", "at"]
    column_formatters = {"op": lambda v, c, m, n: OPERATIONS.get(m.op, m.op)}
    simple_list_pager = True

    @property
    def can_export(self):
        return False
