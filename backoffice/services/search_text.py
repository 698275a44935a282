"""The database side of what users type in a search box (rules/search_text.py): every search
path of the back-office (lists, dashboard, organisme search, journal, support, partner API)
builds its conditions here, so `%`, `_` and `\\` are searched as typed everywhere. No Flask import."""
from sqlalchemy import func, select

from ..models import Action, History, Organisme, Session
from ..rules import LIKE_ESCAPE, contains_pattern, format_numero


def contains(column, text: str):
    """Case-insensitive 'contains', with LIKE's own characters typed by the user taken literally.

    lower() LIKE lower() rather than ILIKE: the same on SQLite, a third faster on PostgreSQL;
    lowering both sides in the database keeps them compared alike (SQLite lowers ASCII only).
    """
    return func.lower(column).like(func.lower(contains_pattern(text)), escape=LIKE_ESCAPE)


def _organisme_ids(numero: str):
    return select(Organisme.id).where(Organisme.numero == numero)


def _action_ids(prefix: str, numero: str):
    """The ids of the action numbered `numero` (AF_), of the session's action (SE_), of the organisme's actions (OF_)."""
    if prefix == "AF":
        return select(Action.id).where(Action.numero == numero)
    if prefix == "SE":
        return select(Session.action_id).where(Session.numero == numero)
    return select(Action.id).where(Action.organisme_id.in_(_organisme_ids(numero)))


def numero_condition(model, prefix: str, number: int):
    """The rows of `model` a typed OF_/AF_/SE_ number designates, by equality on the numero
    columns (unique, hence indexed: schema.sql): an action for its own number, its sessions' and
    its organisme's; a session for its own, its action's and organisme's; an organisme for its
    own and its offers'; the journal's rows of that record. None: `model` has no such link
    (the text is then searched as any other). Scope is the caller's: these are conditions on
    rows the caller's query already limits to what the user may see."""
    numero = format_numero(prefix, number)
    if model is History:
        return History.numero == numero
    if model is Organisme:
        if prefix == "OF":
            return Organisme.numero == numero
        return Organisme.id.in_(select(Action.organisme_id).where(Action.id.in_(_action_ids(prefix, numero))))
    if model is Action:
        return Action.numero == numero if prefix == "AF" else Action.id.in_(_action_ids(prefix, numero))
    if model is Session:
        return Session.numero == numero if prefix == "SE" else Session.action_id.in_(_action_ids(prefix, numero))
    return None
