"""A list's rows, written by Python with the HTML of Flask-Admin's own templates.

COPY of Flask-Admin 2.2.1 (UPSTREAM_VERSION), templates/bootstrap4/admin/model/list.html, the
inside of block `list_row` (checkbox, row actions, cells; not the editable cells, left to the
template), and row_actions.html, macros `link`, `view_row`, `edit_row` and `delete_row`.

Why a copy: upstream renders each row through ~40 template calls (a url_for per icon link, a
WTForms render of the delete form's fields, a gettext per checkbox, a macro and a formatter call
per cell): half to two thirds of a list page's time, and it grows with the page size the user
picks (20, 50, 100 rows). With upstream's rows the actions, sessions and organismes lists were
above 15 ms at 100 % (bench/RESULTS.md, "Lists on Flask-Admin's own templates"). Here what every
row shares (URLs with a marker for the row's values, the delete form, titles, permissions) is
prepared once per page. Everything else of the page is Flask-Admin's list.html, untouched
(templates/admin/backoffice_list.html only overrides its block `list_row`). A row action this
copy does not know (a popup, a view's column_extra_row_actions) goes through its own render; a view
that overrides list_row_buttons (the actions list) does the same in its template's block
`list_row_actions`, which the fence compares.

Fenced: tests/integration/test_list_rows.py renders every list with list.html's own block too and
compares the HTML, for every role, and fails when the installed Flask-Admin is not
UPSTREAM_VERSION (re-read the templates above, then update the version).
"""
from __future__ import annotations

import re
from urllib.parse import quote_plus

from flask import g
from flask_admin.babel import gettext
from flask_admin.model import template as fa_template
from jinja2 import pass_context
from markupsafe import Markup, escape

UPSTREAM_VERSION = "2.2.1"
URL_SAFE = "!$'()*,/:;?@"  # Werkzeug's safe characters in a query value: pattern URLs equal url_for's


def _marker(name: str) -> str:
    return f"\x00{name}\x00"  # never in a URL: url_for quotes it as %00, and %00 in a value as %2500


class UrlPattern:
    """build(**markers) called once per page; each row's values are filled in, quoted as url_for does."""

    def __init__(self, build, *names: str):
        url = build(**{name: _marker(name) for name in names})
        quoted = {quote_plus(_marker(name), safe=URL_SAFE): name for name in names}
        pattern = re.compile("|".join(map(re.escape, quoted)))
        self.parts = [str(escape(part)) for part in pattern.split(url)]
        self.names = [quoted[found] for found in pattern.findall(url)]

    def __call__(self, **values) -> str:
        """The URL, HTML-escaped for an attribute."""
        out = [self.parts[0]]
        for name, part in zip(self.names, self.parts[1:], strict=True):
            out += (str(escape(quote_plus(str(values[name]), safe=URL_SAFE))), part)
        return "".join(out)


def icon_link(url: UrlPattern, title: str, icon: str):
    """row_actions.html's `link` macro; url has the markers `id` and optionally `pos`."""
    head, tail = '<a class="icon" href="', f'" title="{escape(title)}">\n  <span class="{escape(icon)}"></span>\n</a>'
    return lambda row_id, row, position: head + url(id=row_id, pos=position) + tail


def _delete(view, context):
    """row_actions.html's `delete_row` macro: a POST form per row, the same but for the id."""
    form = context.resolve("delete_form")
    marker = _marker("id")
    id_field = str(form.id(value=marker)).split(marker)
    url_field = str(form.url(value=context.resolve("return_url")))
    if getattr(form, "csrf_token", None):
        csrf = str(form.csrf_token)
    else:
        token = context.resolve("csrf_token")
        csrf = f'<input type="hidden" name="csrf_token" value="{escape(token())}"/>' if callable(token) else ""
    head = f'<form class="icon" method="POST" action="{escape(view.get_url(".delete_view"))}">\n  {id_field[0]}'
    confirm = escape(gettext("Are you sure you want to delete this record?"))
    tail = (f'{id_field[1]}\n  {url_field}\n  {csrf}\n'
            f'  <button onclick="return faHelpers.safeConfirm(\'{confirm}\');" title="{escape(gettext("Delete Record"))}">\n'
            '    <span class="fa fa-trash glyphicon glyphicon-trash"></span>\n  </button>\n</form>')
    return lambda row_id, row, position: head + str(escape(row_id)) + tail


def stock_row_buttons(view, context) -> list:
    """A renderer (row_id, row, position) -> HTML per row action of the page (list_row_actions)."""
    return_url = context.resolve("return_url")
    buttons = []
    for action in context.resolve("list_row_actions"):
        kind = type(action)
        if kind is fa_template.ViewRowAction:
            url = UrlPattern(lambda id: view.get_url(".details_view", id=id, url=return_url), "id")
            buttons.append(icon_link(url, action.title or "", "fa fa-eye glyphicon glyphicon-eye-open"))
        elif kind is fa_template.EditRowAction:
            url = UrlPattern(lambda id: view.get_url(".edit_view", id=id, url=return_url), "id")
            buttons.append(icon_link(url, action.title or "", "fa fa-pencil glyphicon glyphicon-pencil"))
        elif kind is fa_template.DeleteRowAction:
            buttons.append(_delete(view, context))
        else:
            buttons.append(lambda row_id, row, position, action=action: str(action.render(context, row_id, row)))
    return buttons


class _PageRows:
    """What every row of one page shares, prepared once."""

    def __init__(self, view, context):
        self.view, self.context = view, context
        self.columns = [(name, f'<td class="col-{escape(name)}">\n') for name, _label in context.resolve("list_columns")]
        self.checkbox = None
        if context.resolve("actions"):
            self.checkbox = ('<td>\n  <input type="checkbox" name="rowid" class="action-checkbox" value="',
                             f'" title="{escape(gettext("Select record"))}" />\n</td>\n')
        self.buttons = view.list_row_buttons(context) if view.column_display_actions else None
        self.first = (context.resolve("page") or 0) * (context.resolve("page_size") or 0)

    def render(self, row, index: int) -> str:
        view, row_id = self.view, self.view.get_pk_value(row)
        out = []
        if self.checkbox:
            out += (self.checkbox[0], str(escape(row_id)), self.checkbox[1])
        if self.buttons is not None:
            out.append('<td class="list-buttons-column">\n')
            out += [button(row_id, row, self.first + index) for button in self.buttons]
            out.append("</td>\n")
        for name, cell in self.columns:
            out += (cell, str(escape(view.get_list_value(self.context, row, name))), "\n</td>\n")
        return "".join(out)


class ListRowsMixin:
    """list_template's block `list_row` calls render_list_row for each row."""

    list_template = "admin/backoffice_list.html"
    list_rows_in_python = True  # False: list.html's own block (the fence test renders both)

    def list_row_buttons(self, context) -> list:
        """The icons of each row, as functions (row_id, row, position) -> HTML prepared once per page."""
        return stock_row_buttons(self, context)

    @pass_context
    def render_list_row(self, context, row, index: int) -> Markup:
        pages = g.setdefault("_list_rows", {})
        key = (self.endpoint, context.resolve("return_url"))
        if key not in pages:
            pages[key] = _PageRows(self, context)
        return Markup(pages[key].render(row, index))
