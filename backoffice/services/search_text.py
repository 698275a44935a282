"""The database side of what users type in a search box (rules/search_text.py): every search
path of the back-office (lists, dashboard, organisme search, journal, support, partner API,
pickers) builds its conditions here, so `%`, `_` and `\\` are searched as typed everywhere.

Actions and organismes are searched through their `search_key` column (the folded words of their
searched texts, an action's organisme's included, kept by models/search_keys.py, one trigram GIN
index each on PostgreSQL: schema.sql): a word typed is the start of a word of the record, accents
and case ignored, one LIKE per word on both backends; sessions through their action's key. The other tables are small and searched by `contains`. No Flask import."""
from sqlalchemy import and_, case, func, select

from ..models import Action, History, Organisme, Session
from ..rules import LIKE_ESCAPE, contains_pattern, format_numero
from ..rules.search_text import organisme_pattern, search_words, title_pattern, word_pattern


def contains(column, text: str):
    """Case-insensitive 'contains', with LIKE's own characters typed by the user taken literally.

    lower() LIKE lower() rather than ILIKE: the same on SQLite, a third faster on PostgreSQL;
    lowering both sides in the database keeps them compared alike (SQLite lowers ASCII only).
    """
    return func.lower(column).like(func.lower(contains_pattern(text)), escape=LIKE_ESCAPE)


def key_matches(column, word: str):
    """`column` (a search key) has a word starting with `word`; None: `word` has nothing to search."""
    pattern = word_pattern(word)
    return None if pattern is None else column.like(pattern, escape=LIKE_ESCAPE)


def organisme_word(word: str):
    return key_matches(Organisme.search_key, word)


def action_word(word: str):
    """An action whose key (intitulé, organisme's names and SIRET, objectif, contenu) has the word."""
    return key_matches(Action.search_key, word)


def _all_words(build, words: list[str]):
    return and_(*(build(word) for word in words))


def text_condition(model, text: str):
    """Every word of `text` found in a record of `model` (actions, organismes; sessions through
    their action), or None: `model` has no search key (the caller searches its columns), or
    `text` nothing to search."""
    words = search_words(text)
    if not words or model not in (Action, Organisme, Session):
        return None
    if model is Organisme:
        return _all_words(organisme_word, words)
    if model is Action:
        return _all_words(action_word, words)
    return Session.action_id.in_(select(Action.id).where(_all_words(action_word, words)))


def _part_matches(pattern, words: list[str]):
    return and_(*(Action.search_key.like(pattern(word), escape=LIKE_ESCAPE) for word in words))


def relevance(model, text: str):
    """The order putting the actions found for `text` in relevance order: every word in the
    intitulé first, then every word in the organisme's names, then the rest (objectif, contenu);
    Modifié le after (the list's own order). Ranked are a pool of the actions found, taken in the
    list (admin_views/search_pool.py). None: no such order for `model` or `text`."""
    words = search_words(text)
    if model is not Action or not words:
        return None
    return case((_part_matches(title_pattern, words), 0), (_part_matches(organisme_pattern, words), 1), else_=2)


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
