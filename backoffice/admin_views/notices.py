"""What every screen says in French, in one place: the message after a create, save or delete names
the record and what happened to it ("Action AF_0000000012 enregistrée.", "Contact « Paul Martin »
supprimé."), booleans read Oui/Non and timestamps Paris time, a select's blank choice is "—".

Flask-Admin flashes the same sentence for every record ("Record was successfully created.", in its
catalogue "L'objet a bien été créé."): its create, edit and delete views are wrapped here, and the
sentence they flashed is replaced by the named one. A screen that says more itself (the account
created, with its identifiant) keeps its own message alone.

Flask-Babel merges the catalogues of Admin(translations_path=...) and Flask-Admin's in that order, the
later winning: our French of a string Flask-Admin translates poorly ("Editer", "articles") would be
lost. The merged French catalogue is built once the other way round (ours last), for the templates
and the Python code alike.
"""
from datetime import date, datetime

from babel import support
from flask import g, request, session
from flask_admin import babel as admin_babel
from flask_admin import expose
from flask_admin import translations as admin_translations
from flask_admin.babel import gettext, ngettext
from flask_admin.model.typefmt import BASE_FORMATTERS, DETAIL_FORMATTERS
from wtforms.form import BaseForm

from ..templating import date_fr, datetime_fr
from .labels import record_noun

BLANK_CHOICE = "—"


def _oui_non(view, value, name):
    return "Oui" if value else "Non"


def _datetime(view, value, name):
    return datetime_fr(value)


def _date(view, value, name):
    return date_fr(value)


# datetime first: Flask-Admin takes the first type the value is an instance of
FRENCH_TYPES = {bool: _oui_non, datetime: _datetime, date: _date}


def record_name(model) -> str:
    """AF_0000000012 for a numbered record, else its label in « »."""
    numero = getattr(model, "numero", None)
    if numero:
        return str(numero)
    return f"« {model} »"


def notice(model, verb: str) -> str:
    """'Action AF_0000000012 créée.': verb is the masculine past participle (créé, enregistré, supprimé)."""
    noun, feminine = record_noun(getattr(model, "__tablename__", ""))
    return f"{noun} {record_name(model)} {verb}{'e' if feminine else ''}."


def prefer_our_french(directory: str | None) -> None:
    """Flask-Admin's French catalogue, then ours over it, as the one Flask-Admin's domain uses."""
    if not directory:
        return
    merged = support.Translations()
    for folder in (admin_translations.__path__[0], directory):
        catalogue = support.Translations.load(folder, ["fr"], "admin")
        merged.merge(catalogue)
        merged.plural = getattr(catalogue, "plural", merged.plural)
    admin_babel.domain.cache["fr", "admin"] = merged  # the key Flask-Babel's Domain looks up


def _flashes() -> list:
    return session.get("_flashes", [])


class NoticesMixin:
    """Named messages after create / save / delete, French values, no "__None" choice."""

    column_type_formatters = {**FRENCH_TYPES, **BASE_FORMATTERS}
    column_type_formatters_detail = {**FRENCH_TYPES, **DETAIL_FORMATTERS}

    def create_blueprint(self, admin):
        prefer_our_french(admin.translations_path)
        return super().create_blueprint(admin)

    # --------------------------------------------------------- named messages
    def create_model(self, form):
        model = super().create_model(form)
        if model:
            g._noticed_record = notice(model, "créé")
        return model

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        before = len(_flashes())
        response = super().create_view()
        self._name_generic(before, gettext("Record was successfully created."), lambda: g.get("_noticed_record"))
        return response

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        before = len(_flashes())
        response = super().edit_view()
        self._name_generic(before, gettext("Record was successfully saved."),
                           lambda: notice(self.get_one(request.args.get("id")), "enregistré"))
        return response

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        # named before it goes: a deleted record has nothing left to read
        record_id = request.form.get("id")
        named = notice(self.get_one(record_id), "supprimé") if record_id and self.can_delete else None
        before = len(_flashes())
        response = super().delete_view()
        generic = ngettext("Record was successfully deleted.", "%(count)s records were successfully deleted.", 1,
                           count=1)
        self._name_generic(before, generic, lambda: named)
        return response

    @staticmethod
    def _name_generic(before: int, generic: str, named) -> None:
        """Replace Flask-Admin's generic success flashed since `before` by the named message, or
        drop it when the screen flashed its own success."""
        flashes = _flashes()
        added = flashes[before:]
        generic_at = [i for i, (category, message) in enumerate(added) if message == generic]
        if not generic_at:
            return
        own_success = any(category == "success" and message != generic for category, message in added)
        text = None if own_success else named()
        kept = [entry for i, entry in enumerate(added) if i not in generic_at[1:]]
        if text is None:
            kept.pop(generic_at[0])
        else:
            kept[generic_at[0]] = ("success", text)
        session["_flashes"] = flashes[:before] + kept

    # --------------------------------------------------------- blank choices
    def create_form(self, obj=None):
        return _name_blank_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return _name_blank_choices(super().edit_form(obj))


def _name_blank_choices(form):
    """WTForms shows the value of a choice without label: Flask-Admin's blank choice read "__None"."""
    for field in _all_fields(form):
        if getattr(field, "allow_blank", False) and not str(getattr(field, "blank_text", "") or "").strip():
            field.blank_text = BLANK_CHOICE
    return form


def _all_fields(form):
    for field in form:
        yield field
        inner = getattr(field, "form", None)  # a FormField's (an inline row's) form
        if isinstance(inner, BaseForm):
            yield from _all_fields(inner)
        for entry in getattr(field, "entries", ()):  # FieldList
            yield from _all_fields([entry])
