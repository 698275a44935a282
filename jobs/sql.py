"""SQL building blocks of the set-based jobs (PostgreSQL and SQLite).

The robot jobs never loop over rows in Python: one INSERT ... SELECT writes the history rows
of the actions a run changes, one UPDATE ... WHERE id IN (those history rows) changes them,
one INSERT ... SELECT writes their e-mails. E-mails are rendered once with placeholders
(@@NUMERO@@, ...) which SQL `replace()` fills per row (HTML-escaped in the HTML part).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, and_, case, cast, false, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from backoffice import workflow
from backoffice.models import Action, History, Organisme, User
from backoffice.services.mail import fiche_url, organisme_users, render_mail

ROBOT_LABEL = "Robot"


# The three indicators: State attribute, column of action, enum (the column is NOT NULL and
# CHECKed to the enum's values in schema.sql).
INDICATORS = (("controle", Action.controle, workflow.Controle),
              ("publication", Action.publication, workflow.Publication),
              ("fiche", Action.etat_fiche, workflow.EtatFiche))


def _labels(enum) -> dict[str, str]:
    return {member.value: workflow.LABELS[member] for member in enum}


def state_label(new: dict | None = None):
    """SQL for 'Visé / Diffusable / Créé' (workflow.state_label) of the row, or of the state a
    job writes: `new` maps a column name to its new value (a string or an SQL expression)."""
    parts = []
    for _attr, column, enum in INDICATORS:
        value = (new or {}).get(column.key, column)
        parts.append(literal(workflow.LABELS[enum(value)]) if isinstance(value, str)
                     else func.coalesce(case(_labels(enum), value=value), value))
    return parts[0] + literal(" / ") + parts[1] + literal(" / ") + parts[2]


def _is(state: workflow.State):
    return and_(*(column == getattr(state, attr).value for attr, column, _enum in INDICATORS))


def state_in(states) -> object:
    """SQL predicate: the row's three indicators are one of `states` (workflow.State).

    When the states are all the combinations of their values per indicator (as the table's rows
    give), one IN per indicator that is restricted; otherwise one test per state.
    """
    states = set(states)
    chosen = [(column, enum, {getattr(s, attr).value for s in states}) for attr, column, enum in INDICATORS]
    if not states or len(states) < len(chosen[0][2]) * len(chosen[1][2]) * len(chosen[2][2]):
        return or_(false(), *(_is(state) for state in sorted(states, key=str)))
    return and_(true(), *(column.in_(sorted(values)) for column, enum, values in chosen if len(values) < len(enum)))


def written_state(moves: dict) -> dict:
    """What an UPDATE of the rows `state_in(moves)` sets, from {old State: new State}
    (workflow.outcomes): column name -> value string when every row gets the same, a CASE on the
    row's state otherwise; an indicator no move changes is left out."""
    values = {}
    for attr, column, _enum in INDICATORS:
        new = {old: getattr(state, attr).value for old, state in moves.items()}
        if all(getattr(old, attr).value == value for old, value in new.items()):
            continue
        if len(set(new.values())) == 1:
            values[column.key] = next(iter(new.values()))
        else:
            values[column.key] = case(*((_is(old), value) for old, value in sorted(new.items(), key=str)),
                                      else_=column)
    return values


def history_rows(message: str, now: datetime, new_state, where) -> tuple[list[str], object]:
    """(columns, SELECT) for INSERT INTO history: one 'transition' row per matching action."""
    columns = ["entity", "entity_key", "numero", "op", "field", "old_value", "new_value", "message",
               "actor_label", "at"]
    query = select(
        literal("action"), cast(Action.id, String), Action.numero, literal("transition"),
        literal("indicateurs"), state_label(), new_state, literal(message), literal(ROBOT_LABEL),
        literal(now, type_=History.__table__.c.at.type),
    ).where(*where)
    return columns, query


def ids_changed_by(message: str, now: datetime):
    """SELECT of the action ids this run wrote a history row for (its own set, exactly)."""
    return select(cast(History.entity_key, Integer)).where(
        History.at == now, History.actor_label == ROBOT_LABEL, History.op == "transition",
        History.entity == "action", History.message == message)


def recipients_of_organisme(session: Session, organisme_id_column):
    """Scalar SQL: comma-separated addresses of mail.organisme_users (NULL when none)."""
    if session.get_bind().dialect.name == "postgresql":
        aggregate = func.string_agg(User.email, aggregate_order_by(literal(","), User.email))
    else:  # SQLite: order not guaranteed, the addresses are the same
        aggregate = func.group_concat(User.email, literal(","))
    # same FROM and WHERE, correlated to the outer action row
    return organisme_users(organisme_id_column).with_only_columns(aggregate).scalar_subquery()


def organisme_name():
    return func.coalesce(func.nullif(Organisme.nom_usuel, ""), Organisme.raison_sociale)


def html_escape(expr):
    """SQL equivalent of markupsafe.escape for text put into the HTML part."""
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;")):
        expr = func.replace(expr, raw, escaped)
    return expr


USER_TEXT = frozenset({"ORGANISME", "INTITULE"})  # typed by users: escaped in HTML


def fill(template: str, values: dict, escape: bool):
    """SQL replace() chain putting each value expression in place of its @@KEY@@."""
    expr = literal(template)
    for key, value in values.items():
        expr = func.replace(expr, f"@@{key}@@", html_escape(value) if escape and key in USER_TEXT else value)
    return expr


def fiche_url_template() -> str:
    """The action fiche's absolute URL with @@ID@@ in place of the id."""
    return fiche_url("Action", "999999999").replace("999999999", "@@ID@@")


def mail_select(template_name: str, placeholders: dict):
    """Columns (subject, text, html) of one rendered template, filled per action row.

    `placeholders` maps KEY -> SQL expression over Action/Organisme; NUMERO, INTITULE,
    ORGANISME and ID (for the link) are always available.
    """
    # Text typed by users goes in last, so a "@@KEY@@" inside it is never substituted.
    values = {"ID": cast(Action.id, String), "NUMERO": Action.numero, **placeholders,
              "ORGANISME": organisme_name(), "INTITULE": Action.intitule}
    ctx = {key.lower(): f"@@{key}@@" for key in values}
    ctx["url"] = fiche_url_template()
    subject, text, html = render_mail(template_name, **ctx)
    return (fill(subject, values, escape=False), fill(text, values, escape=False),
            fill(html, values, escape=True))


def outbox_rows(key, recipients, subject, text, html, now: datetime, from_clause, where):
    """SELECT (dedup_key, recipients, subject, body_text, body_html, created_at, attempts) of the
    new e-mails: rows with at least one recipient, whose dedup_key is not in the outbox yet."""
    from backoffice.models import Outbox
    outbox = Outbox.__table__
    rows = (select(key.label("dedup_key"), recipients.label("recipients"), subject.label("subject"),
                   text.label("body_text"), html.label("body_html"))
            .select_from(from_clause).where(*where).subquery("nouveaux"))
    already = outbox.alias("deja")
    return (select(rows.c.dedup_key, rows.c.recipients, rows.c.subject, rows.c.body_text, rows.c.body_html,
                   literal(now, type_=outbox.c.created_at.type), literal(0))
            .where(rows.c.recipients.is_not(None), rows.c.recipients != "",
                   ~select(already.c.id).where(already.c.dedup_key == rows.c.dedup_key).exists()))


OUTBOX_COLUMNS = ["dedup_key", "recipients", "subject", "body_text", "body_html", "created_at", "attempts"]
