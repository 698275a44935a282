"""A list page's rows in one pass (issue 7, bench/RESULTS.md).

Flask-Admin's list.html renders every row through blocks and macros: a url_for per row icon, a
permission check per row, a gettext per checkbox, a macro call per cell. That is ~0.1 ms a row,
the page's largest cost after the database. Here what is the same for every row (URLs, titles,
the delete form, permissions) is prepared once per page, and a row is a few string joins. The
HTML is list.html's, so the page looks and behaves the same (checkboxes, icons, CSP handlers).
"""
from __future__ import annotations

import re
from functools import partial
from urllib.parse import quote_plus

from flask_admin.babel import gettext
from flask_admin.model import template as fa_template
from flask_admin.model.base import BaseModelView
from markupsafe import Markup, escape

URL_SAFE = "!$'()*,/:;?@"  # Werkzeug's safe characters in a query value: pattern URLs equal url_for's
PER_ROW = object()  # an URL argument whose value changes with the row


def _marker(name: str) -> str:
    return f"\x00{name}\x00"  # never in a URL: url_for quotes it as %00, and %00 in a value as %2500


def url_value(value) -> str:
    return str(escape(quote_plus(str(value), safe=URL_SAFE)))


class UrlPattern:
    """build(**args) called once; the PER_ROW arguments are filled in for each row.
    A url_for per row costs ~25 µs (routing map, quoting of every argument)."""

    def __init__(self, build, **args):
        slots = {_marker(name): name for name, value in args.items() if value is PER_ROW}
        url = build(**{name: _marker(name) if value is PER_ROW else value for name, value in args.items()})
        quoted = {quote_plus(marker, safe=URL_SAFE): name for marker, name in slots.items()}
        pattern = re.compile("|".join(map(re.escape, quoted))) if quoted else None
        self.parts = [str(escape(part)) for part in (pattern.split(url) if pattern else [url])]
        self.names = [quoted[found] for found in pattern.findall(url)] if pattern else []

    def __call__(self, **values) -> str:
        """The URL, HTML-escaped for an attribute."""
        out = [self.parts[0]]
        for name, part in zip(self.names, self.parts[1:], strict=True):
            out.append(url_value(values[name]))
            out.append(part)
        return "".join(out)


def view_url(view, endpoint: str, **args) -> UrlPattern:
    """An URL of one of the view's endpoints ('.edit_view'...), with PER_ROW arguments."""
    return UrlPattern(partial(view.get_url, endpoint), **args)


class ValueUrls:
    """fn(value, *rest) -> URL for many values (the list's sort_url per column, pager_url per
    page): fn is called once per `rest` with a marker for the value, which is then filled in.
    Values in `direct` go to fn itself (page 0: its URL has no page argument at all)."""

    def __init__(self, fn, direct=()):
        self.fn, self.direct, self.patterns = fn, direct, {}

    def __call__(self, value, *rest):
        if value in self.direct:
            return Markup(escape(self.fn(value, *rest)))
        if rest not in self.patterns:
            self.patterns[rest] = UrlPattern(lambda value: self.fn(value, *rest), value=PER_ROW)
        return Markup(self.patterns[rest](value=value))


def icon_link(url: UrlPattern, title: str, icon: str):
    """Flask-Admin's row_actions.link macro, for every row."""
    head, tail = '<a class="icon" href="', f'" title="{escape(title)}">\n  <span class="{escape(icon)}"></span>\n</a>'
    return lambda row_id, row, position: head + url(id=row_id, pos=position) + tail


def delete_button(view, context):
    """Flask-Admin's row_actions.delete_row macro: a POST form per row, the same but for the id."""
    form = context.resolve("delete_form")
    marker = "__row_id__"
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
    """Renderers of Flask-Admin's row actions (list_row_actions), each prepared once per page.
    Actions it does not know (popups, column_extra_row_actions) go through their own render."""
    return_url = context.resolve("return_url")
    buttons = []
    for action in context.resolve("list_row_actions"):
        kind = type(action)
        if kind is fa_template.ViewRowAction:
            url = view_url(view, ".details_view", id=PER_ROW, url=return_url)
            buttons.append(icon_link(url, action.title or "", "fa fa-eye glyphicon glyphicon-eye-open"))
        elif kind is fa_template.EditRowAction:
            url = view_url(view, ".edit_view", id=PER_ROW, url=return_url)
            buttons.append(icon_link(url, action.title or "", "fa fa-pencil glyphicon glyphicon-pencil"))
        elif kind is fa_template.DeleteRowAction:
            buttons.append(delete_button(view, context))
        else:
            buttons.append(lambda row_id, row, position, action=action: str(action.render(context, row_id, row)))
    return buttons


def render_header(view, context) -> Markup:
    """The <th>s of list.html's table header: checkbox, icons column, a sort link per sortable column."""
    out = []
    if context.resolve("actions"):
        out.append('<th class="list-checkbox-column">\n  <input type="checkbox" name="rowtoggle" class="action-rowtoggle" '
                   f'title="{escape(gettext("Select all records"))}" />\n</th>\n')
    if view.column_display_actions:
        out.append('<th class="">&nbsp;</th>\n')
    sort_url, sort_column, sort_desc = (context.resolve(name) for name in ("sort_url", "sort_column", "sort_desc"))
    descriptions = view.column_descriptions or {}
    for column, (name, label) in enumerate(context.resolve("list_columns")):
        out.append(f'<th class="column-header col-{escape(name.replace(".", "-"))}">\n')
        if view.is_sortable(name):
            title = escape(gettext("Sort by %(name)s", name=label))
            if sort_column == column:
                arrow = "down" if sort_desc else "up"
                out.append(f'<a href="{sort_url(column, True)}" title="{title}">\n{escape(label)}\n'
                           f'<span class="fa fa-chevron-{arrow} glyphicon glyphicon-chevron-{arrow}"></span>\n</a>\n')
            else:
                out.append(f'<a href="{sort_url(column)}" title="{title}">{escape(label)}</a>\n')
        else:
            out.append(f"{escape(label)}\n")
        if descriptions.get(name):
            out.append(f'<a class="fa fa-question-circle glyphicon glyphicon-question-sign" '
                       f'title="{escape(descriptions[name])}" href="javascript:void(0)" data-role="tooltip"\n></a>\n')
        out.append("</th>\n")
    return Markup("".join(out))


def cell_value(view, context):
    """(row, name) -> view.get_list_value(context, row, name). Flask-Admin looks a cell's type
    formatter up by walking all of them with isinstance, for every cell; here the lookup is done
    once per value type and page (same first match). A view overriding the lookup keeps its own."""
    cls = type(view)
    if cls.get_list_value is not BaseModelView.get_list_value or cls._get_list_value is not BaseModelView._get_list_value:
        return lambda row, name: view.get_list_value(context, row, name)
    formatters, choices, type_formatters = view.column_formatters, view._column_choices_map, view.column_type_formatters
    by_type = {}

    def value_of(row, name):
        formatter = formatters.get(name)
        value = formatter(view, context, row, name) if formatter is not None else view._get_field_value(row, name)
        choice_map = choices.get(name)
        if choice_map:
            return choice_map.get(value) or value
        kind = type(value)
        if kind not in by_type:
            by_type[kind] = next((fmt for base, fmt in type_formatters.items() if isinstance(value, base)), None)
        type_formatter = by_type[kind]
        return value if type_formatter is None else type_formatter(view, value, name)
    return value_of


def render_rows(view, context, rows) -> Markup:
    """The <tr>s of list.html's table body for `rows`."""
    if not rows:
        return Markup('<tr>\n  <td colspan="999">\n    <div class="text-center">\n      '
                      f'{escape(view.get_empty_list_message())}\n    </div>\n  </td>\n</tr>\n')
    columns = [(name, f'<td class="col-{escape(name)}">') for name, _label in context.resolve("list_columns")]
    checkbox = None
    if context.resolve("actions"):
        checkbox = ('<td>\n  <input type="checkbox" name="rowid" class="action-checkbox" value="',
                    f'" title="{escape(gettext("Select record"))}" />\n</td>\n')
    buttons = view.list_row_buttons(context) if view.column_display_actions else None
    first = (context.resolve("page") or 0) * (context.resolve("page_size") or 0)
    get_pk, get_value = view.get_pk_value, cell_value(view, context)
    out = []
    for index, row in enumerate(rows):
        row_id = get_pk(row)
        out.append("<tr>\n")
        if checkbox:
            out += (checkbox[0], str(escape(row_id)), checkbox[1])
        if buttons is not None:
            out.append('<td class="list-buttons-column">\n')
            out += [button(row_id, row, first + index) for button in buttons]
            out.append("</td>\n")
        for name, cell in columns:
            out += (cell, str(escape(get_value(row, name))), "</td>\n")
        out.append("</tr>\n")
    return Markup("".join(out))
