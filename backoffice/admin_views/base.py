"""The secure, scoped ModelView every screen derives from, one concern per module:

- scope.py: permissions (deny by default), the user's scope on every read and write, bulk
  actions and redirects checked (the doors Flask-Admin leaves open);
- list_query.py: what a list page and a fiche read (bounded count, eager loads, columns);
- forms.py: French form messages, relationship pickers scoped and checked, numbers within their
  column's range, a save the database refuses told in French;
- locking.py: optimistic locking of a fiche, the messages of a refused save;
- list_rows.py: the inside of a list's rows (a fenced copy of Flask-Admin's list.html block);
- export/grid.py: the CSV / XLSX export of a list;
- notices.py: the French of every screen: messages naming the record after a create, save or
  delete, Oui/Non and Paris time in lists and fiches, no "__None" choice.
Pages are Flask-Admin's own templates (admin/model/list.html...), extended through their blocks.
CSRF is checked by Flask-WTF's CSRFProtect on every POST of the app.
"""
from flask_admin.contrib.sqla import ModelView

from ..export.grid import GridExportMixin
from ..security import neutralise_formula
from .forms import DatabaseRefusalMixin, FrenchForm, NumberRangesMixin, PickersMixin, field_error, request_rows
from .list_query import AtLeast, ListQueryMixin
from .list_rows import ListRowsMixin
from .locking import INTEGRITY_MESSAGE, STALE_MESSAGE, LockingMixin
from .notices import NoticesMixin
from .scope import SCOPED_MODELS, ScopedAjaxLoader, ScopeMixin, scoped_query

__all__ = ["INTEGRITY_MESSAGE", "SCOPED_MODELS", "STALE_MESSAGE", "AtLeast", "FrenchForm", "ReadOnlyModelView",
           "ScopedAjaxLoader", "SecureModelView", "field_error", "request_rows", "scoped_query"]


class SecureModelView(ScopeMixin, NoticesMixin, ListQueryMixin, NumberRangesMixin, PickersMixin, LockingMixin,
                      DatabaseRefusalMixin, ListRowsMixin, GridExportMixin, ModelView):
    """Deny by default; scope every read and write to the user's records."""

    form_base_class = FrenchForm
    page_size = 20
    can_set_page_size = True
    can_view_details = True
    details_modal = False
    edit_modal = False
    create_modal = False
    export_types = ["csv", "xlsx"]
    edit_template = "admin/backoffice_edit.html"
    create_template = "admin/backoffice_create.html"
    details_template = "admin/backoffice_details.html"

    def get_export_value(self, model, name):
        """Export cells that a spreadsheet would run as a formula (=, +, -, @...) are neutralised."""
        return neutralise_formula(super().get_export_value(model, name))


class ReadOnlyModelView(SecureModelView):
    """A screen that lists and shows, nothing else (history, referentials for non-admins)."""

    @property
    def can_create(self):
        return False

    @property
    def can_edit(self):
        return False

    @property
    def can_delete(self):
        return False
