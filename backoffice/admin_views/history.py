"""History: the per-fiche history page and the documentalists' global journal, read as a story:
who (the person and their organismes, or the Robot) did what to which field, in the words of the
screens (labels.py, workflow.LABELS, the referentials' labels), at what time in Paris."""
import re
from datetime import date, datetime
from functools import cache

from flask import abort, g, request, url_for
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    DateTimeBetweenFilter,
    DateTimeGreaterFilter,
    DateTimeSmallerFilter,
    FilterEqual,
)
from flask_login import current_user
from sqlalchemy import inspect, literal_column, or_, select
from sqlalchemy.orm import selectinload

from .. import workflow
from ..extensions import db
from ..models import ETATS_ORGANISME, History, Organisme, User, user_organisme
from ..rules import locks, search_problem, searched_numero
from ..services.search_text import contains, text_condition
from ..templating import date_fr, datetime_fr
from .base import ReadOnlyModelView
from .journal_search import digits_numero_condition
from .journal_search import pooled as journal_pool
from .journal_search import text_condition as journal_text_condition
from .labels import field_label, record_noun
from .referential_labels import LABELS as REFERENTIAL_LABELS
from .referential_labels import USER_LABELS

OPERATIONS = {"insert": "Création", "update": "Modification", "delete": "Suppression",
              "transition": "Changement d'état", "acte": "Acte"}
INDICATORS = frozenset({"controle", "publication", "etat_fiche"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


@cache
def _tables() -> dict:
    return {mapper.local_table.name: mapper for mapper in db.Model.registry.mappers}


def _referenced(entity: str, field: str):
    """The mapped class a key column of `entity` points to (niveau_sortie_code -> Niveau), else None."""
    mapper = _tables().get(entity)
    column = mapper.local_table.columns.get(field) if mapper is not None else None
    if column is None or not column.foreign_keys:
        return None
    target = _tables().get(next(iter(column.foreign_keys)).column.table.name)
    return target.class_ if target is not None else None


def value_text(entity: str, field: str | None, value: str | None) -> str:
    """A stored old or new value as the screens show it: a state's label, a code with its label,
    a date dd/mm/yyyy, a timestamp in Paris time."""
    if value is None:
        return ""
    if field in INDICATORS:
        return workflow.LABELS.get(value, value)
    if entity == "organisme" and field == "etat":
        return ETATS_ORGANISME.get(value, value)
    if entity == "programme" and field == "champs_verrouilles":
        return locks.lock_policy_labels(value)
    target = _referenced(entity, field) if field else None
    if target is not None:
        key = inspect(target).primary_key[0]
        try:
            row = db.session.get(target, key.type.python_type(value))
        except (ValueError, TypeError, NotImplementedError):
            row = None
        return str(row) if row is not None else value
    if _ISO_TIMESTAMP.fullmatch(value):  # stored naive UTC, like `at`
        return datetime_fr(datetime.fromisoformat(value))
    if _ISO_DATE.fullmatch(value):
        return date_fr(date.fromisoformat(value))
    return value


def label_of(entity: str, field: str | None) -> str:
    others = USER_LABELS if entity == "users" else REFERENTIAL_LABELS
    return field_label(entity, field, others)


def author(row: History) -> str:
    """'Jean Dupont (Avenir Compétences)', 'Claire Martin (Documentaliste)', or 'Robot'."""
    user = row.user
    if user is None:
        return row.actor_label
    where = ", ".join(sorted(o.nom for o in user.organismes)) or user.role_label
    return f"{user.prenom} {user.nom} ({where})"


def story(row: History) -> dict:
    """One history row as the page shows it."""
    return {"at": datetime_fr(row.at), "author": author(row), "op": OPERATIONS.get(row.op, row.op),
            "field": label_of(row.entity, row.field), "old": value_text(row.entity, row.field, row.old_value),
            "new": value_text(row.entity, row.field, row.new_value), "message": row.message or ""}


def _with_authors(query):
    return query.options(selectinload(History.user).selectinload(User.organismes))


class RecordHistoryView(BaseView):
    """/admin/historique/<endpoint>/<id>: the history of one record, if the user may see it;
    ?auteur= keeps one author's changes."""

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
        rows = [story(row) for row in db.session.scalars(_with_authors(
            select(History).where(History.entity == model.__tablename__,
                                  History.entity_key == str(view.get_pk_value(model)))
            .order_by(History.at.desc(), History.id.desc())))]
        authors = sorted({row["author"] for row in rows})
        chosen = request.args.get("auteur", "")
        if chosen:
            rows = [row for row in rows if row["author"] == chosen]
        back_url = url_for(f"{endpoint}.details_view", id=view.get_pk_value(model))
        noun, _feminine = record_noun(model.__tablename__)
        return self.render("admin/history.html", rows=rows, title=f"{noun} {model}", back_url=back_url,
                           authors=authors, chosen=chosen)


class AuthorFilter(BaseSQLAFilter):
    """The author's name, identifiant or organisme, or the Robot."""

    def apply(self, query, value, alias=None):
        text = value.strip()  # searched as typed, % and _ included (services/search_text.py)
        # the organismes through their indexed search key, not a scan of the organisme table per user
        # (bench/bench_search.py: 2 s at 2,000,000 history rows, 50,000 users)
        organismes = text_condition(Organisme, text)
        if organismes is None:
            organismes = or_(contains(Organisme.nom_usuel, text), contains(Organisme.raison_sociale, text))
        # (the expressions of schema.sql's trigram indexes on users: the space a literal, not a parameter)
        people = select(User.id).where(or_(contains(User.prenom + literal_column("' '") + User.nom, text),
                                           contains(User.identifiant, text)))
        members = select(user_organisme.c.user_id).where(
            user_organisme.c.organisme_id.in_(select(Organisme.id).where(organismes)))
        return query.filter(or_(History.user_id.in_(people), History.user_id.in_(members),
                                contains(History.actor_label, text)))

    def operation(self):
        return "contient"


class HistoryJournalView(ReadOnlyModelView):
    """Every change of the base, newest first, for documentalists and admins."""

    resource = "history"
    can_view_details = False
    column_list = ["at", "actor_label", "entity", "numero", "op", "field", "old_value", "new_value", "message"]
    column_labels = {"at": "Date", "actor_label": "Auteur", "entity": "Fiche", "numero": "Identifiant",
                     "op": "Opération", "field": "Champ", "old_value": "Ancienne valeur",
                     "new_value": "Nouvelle valeur", "message": "Message"}
    column_default_sort = ("at", True)
    # sorts and filters through an index of schema.sql (bench/bench_search.py): by date, by author
    # (then date), by number; the long texts (values, message) are not sorted
    column_sortable_list = ["at", ("actor_label", (History.actor_label, History.at)), "numero"]
    column_searchable_list = ["numero", "actor_label"]
    column_filters = [FilterEqual(History.numero, "Identifiant"), AuthorFilter(History.actor_label, "Auteur"),
                      FilterEqual(History.op, "Opération", options=list(OPERATIONS.items())),
                      DateTimeGreaterFilter(History.at, "Date"), DateTimeSmallerFilter(History.at, "Date"),
                      DateTimeBetweenFilter(History.at, "Date")]
    column_formatters = {
        "at": lambda v, c, m, n: datetime_fr(m.at),
        "actor_label": lambda v, c, m, n: author(m),
        "entity": lambda v, c, m, n: record_noun(m.entity)[0],
        "op": lambda v, c, m, n: OPERATIONS.get(m.op, m.op),
        "field": lambda v, c, m, n: label_of(m.entity, m.field),
        "old_value": lambda v, c, m, n: value_text(m.entity, m.field, m.old_value),
        "new_value": lambda v, c, m, n: value_text(m.entity, m.field, m.new_value),
    }
    list_eager_load = ("user.organismes",)
    simple_list_pager = True

    @property
    def can_export(self):
        return False

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """A number (prefixed or its digits alone) by equality, else the records' and the authors'
        labels (journal_search.py); a text too long or a prefixed number as every list does."""
        if search_problem(search) is not None or searched_numero(search) is not None:
            return super()._apply_search(query, count_query, joins, count_joins, search)
        condition = digits_numero_condition(search)
        if condition is None:
            if self._ranks_search() and db.session.get_bind().dialect.name == "postgresql":
                g._search_pool_text = search  # read label by label once the list is filtered (get_list)
                return query, count_query, joins, count_joins
            condition = journal_text_condition(search)
        return (query.filter(condition), None if count_query is None else count_query.filter(condition),
                joins, count_joins)

    def search_pool(self, query, text: str):
        return journal_pool(query, text)
