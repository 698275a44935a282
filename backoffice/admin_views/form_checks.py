"""Checks of a posted form that Flask-Admin leaves open, applied by ServiceFormMixin
(action_fields.py) and the referential screens: mandatory text made of spaces, ids of a
multiple picker that name no row, inline row ids that are not the record's own, and the
action a new module is created under. The rules are rules/validation.py's.
"""
from __future__ import annotations

from flask import abort, request
from flask_admin.contrib.sqla.fields import QuerySelectMultipleField
from flask_admin.model.fields import AjaxSelectMultipleField, InlineFieldList, InlineModelFormField
from wtforms import FieldList, FormField, HiddenField, StringField

from ..rules import validation
from ..workflow import Event
from .action_fiche import allowed_buttons


def _fields(form):
    """Every field of the form, those of its inline rows included."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from _fields(entry.form) if isinstance(entry, FormField) else (entry,)
        elif isinstance(field, FormField):
            yield from _fields(field.form)
        else:
            yield field


def _add_error(field, message) -> None:
    if message not in field.errors:
        field.errors = [*field.errors, message]


def blank_required_text(form) -> bool:
    """A mandatory text field holding only spaces, tabs or newlines gets the rule's message; False
    when one did (InputRequired counts a space as an answer)."""
    valid = True
    for field in _fields(form):
        if isinstance(field, StringField) and not isinstance(field, HiddenField) and field.flags.required \
                and field.raw_data and not field.errors and (message := validation.required_text(field.data)):
            _add_error(field, message)
            valid = False
    return valid


def _posted_ids(field) -> list[str]:
    separator = getattr(field, "separator", ",")
    return [part for raw in field.raw_data or () for part in str(raw).split(separator)]


def unknown_choices(form) -> bool:
    """A multiple picker (ajax or <select>) posted with an id matching no row it offers: refused at
    the field, so the record keeps its values (Flask-Admin would drop the id and save the rest,
    emptying the field). False when one was."""
    valid = True
    for field in _fields(form):
        if field.errors:  # already refused (a <select> that checks its own choices): one message is enough
            continue
        if isinstance(field, AjaxSelectMultipleField) and field.raw_data:
            known = [str(field.loader.format(row)[0]) for row in field.data or ()]
        elif isinstance(field, QuerySelectMultipleField) and field.raw_data:
            known = [str(field.get_pk(row)) for row in field.data or ()]
        else:
            continue
        if validation.unknown_values(_posted_ids(field), known):
            _add_error(field, validation.UNKNOWN_CHOICE_MESSAGE)
            valid = False
    return valid


def refuse_foreign_rows(form, model) -> None:
    """403 when an inline row is posted with an id that is not one of the record's rows (a forged
    id would create a row with that id, or take over another record's)."""
    for field in form:
        if not isinstance(field, InlineFieldList):
            continue
        posted = [entry.get_pk() for entry in field.entries if isinstance(entry, InlineModelFormField)]
        posted = [str(pk) for pk in posted if pk not in (None, "")]
        own = []
        if model is not None:
            rows = getattr(model, field.name, None) or ()
            own = [pk for row in rows for pk in (_row_key(field, row),) if pk is not None]
        if validation.foreign_row_ids(posted, own):
            abort(403)


def _row_key(field, row):
    """The key an inline row posts: what the list says (FinanceurRows.row_key), else its primary key."""
    if hasattr(field, "row_key"):
        return field.row_key(row)
    pk = getattr(field, "_pk", None)
    return getattr(row, pk, None) if isinstance(pk, str) else None


def module_parent(scoped_actions):
    """The action modulaire a new module is created under (?parent_id=): in the user's scope, modulaire,
    not a module, and one the user may still save; else 403, nothing created. `scoped_actions`: the
    user's actions (a query)."""
    parent_id = request.values.get("parent_id")
    if not parent_id:
        return None
    try:
        pk = int(parent_id)
    except ValueError:
        abort(403)
    parent = scoped_actions.filter_by(id=pk).first()
    if parent is None:
        abort(403)
    if validation.module_parent_problem(parent.type, parent.modulaire) \
            or Event.ENREGISTRER not in allowed_buttons(parent):
        abort(403)
    return parent
